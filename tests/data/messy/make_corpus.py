"""Generate the messy lake corpus and its exact ground truth (``manifest.json``, ``expected/``).

Every file is built record by record from the real datasets in ``tests/data`` (chicago crimes,
loans, prostate, agaricus, iris, credit-g, vote) with faults put in on purpose, so the generator
knows for each record whether a strict-but-fair reader accepts it (and with which typed values)
or quarantines it (at which physical line, with which raw text and reason keyword).  Physical
lines end at LF, CR LF or a bare CR; they are numbered from 1, the header line included.

    python tests/data/messy/make_corpus.py           # rewrite the corpus
    python tests/data/messy/make_corpus.py --check   # exit 1 if the committed files differ

Deterministic: fixed slices of the datasets, ``random.Random(9)`` where rows are sampled, gzip
with ``mtime=0``.  Only the standard library and pyarrow (Parquet/ORC).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import random
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
BREAK = re.compile(r"\r\n|\r|\n")

# Reason keywords: a quarantine record's reason must contain its expected text (ignoring case).
UNTERMINATED = "unterminated quote"
FIELDS = "fields, expected"
HEADER = "header"
BAD_DATE = "not a valid date"
BAD_TIMESTAMP = "not a valid timestamp"
NOT_INT = "is not an int"
TRAILING = "trailing data"
NOT_JSON = "json"
NOT_OBJECT = "object"
ZERO_INDEX = "index 0"
NOT_INCREASING = "not increasing"
REPEATED = "repeated"
BEYOND = "beyond n_features"
LABEL = "label"
VALUE = "value"
NOMINAL = "nominal"
ARITY = "wrong number of values"
NOT_INTEGER = "not an integer"  # ARFF's integer attributes
NOT_A_DATE = "not a date"  # ARFF's date attributes
NOT_NUMBER = "not a number"

ALWAYS = {"max_quarantine_share": 1.0}  # every case: quarantine, never fail on the share


class Doc:
    """A text file built record by record; tracks physical line numbers and the ground truth."""

    def __init__(self, eol: str = "\n") -> None:
        self.eol = eol
        self.chunks: list[str] = []
        self.next_line = 1
        self.rows_read = 0
        self.accepted: list[dict[str, Any]] = []
        self.quarantine: list[dict[str, Any]] = []

    def _add(self, text: str, eol: str | None) -> int:
        line = self.next_line
        end = self.eol if eol is None else eol
        self.chunks.append(text + end)
        self.next_line += len(BREAK.findall(text + end))
        return line

    def other(self, text: str, eol: str | None = None) -> None:
        """A line that is not a row: header, comment, blank line, ARFF declaration."""
        self._add(text, eol)

    def good(self, text: str, values: dict[str, Any], eol: str | None = None) -> None:
        self.rows_read += 1
        self._add(text, eol)
        self.accepted.append(values)

    def bad(self, text: str, reason: str, eol: str | None = None) -> None:
        self.rows_read += 1
        self.quarantine.append({"line": self._add(text, eol), "reason_contains": reason, "raw": text})

    def text(self) -> str:
        return "".join(self.chunks)


# ---------------------------------------------------------------- real data


def _csv_rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def chicago(n: int, start: int = 0) -> list[dict[str, Any]]:
    """Chicago crime rows with typed values and a free-text ``notes`` field built from them."""
    out = []
    for r in _csv_rows("chicagoCrimes10k.csv")[start : start + n]:
        when = dt.datetime.strptime(r["Date"], "%m/%d/%Y %I:%M:%S %p")
        out.append(
            {
                "id": int(r["ID"]),
                "case_number": r["Case Number"],
                "date_raw": r["Date"],
                "when": when,
                "primary_type": r["Primary Type"],
                "description": r["Description"],
                "block": r["Block"],
                "location": r["Location Description"],
                "arrest": r["Arrest"] == "true",
                "beat": r["Beat"],
                "latitude": float(r["Latitude"]) if r["Latitude"] else None,
            }
        )
    return out


def loans(n: int, start: int = 0) -> list[dict[str, str]]:
    return _csv_rows("loan.csv")[start : start + n]


def prostate(n: int, start: int = 0) -> list[dict[str, str]]:
    return _csv_rows("prostate.csv")[start : start + n]


def agaricus(n: int, start: int = 0) -> list[str]:
    return (DATA / "agaricus.txt.train").read_text().splitlines()[start : start + n]


def arff_data(name: str) -> tuple[list[str], list[str]]:
    """(header lines up to and including @data, data lines) of a shipped ARFF file."""
    lines = (DATA / name).read_text().splitlines()
    at = next(i for i, x in enumerate(lines) if x.strip().lower() == "@data")
    return lines[: at + 1], [x for x in lines[at + 1 :] if x.strip() and not x.startswith("%")]


def quote(value: str) -> str:
    """RFC 4180 quoting: always quoted, inner quotes doubled."""
    return '"' + value.replace('"', '""') + '"'


def ts(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


# ---------------------------------------------------------------- CSV / TSV

CRIME_COLUMNS = {
    "id": "int", "case_number": "string", "primary_type": "string", "notes": "string",
    "arrest": "boolean", "latitude": "double",
}  # fmt: skip


def notes(row: dict[str, Any], nl: str | None) -> str:
    """A free-text field: description, block and place; with a line break when ``nl`` is set."""
    text = f'{row["description"]}{nl or " / "}at {row["block"]}, {row["location"]} ("{row["case_number"]}")'
    return text.replace("\u00a0", " ")


def crime_line(row: dict[str, Any], nl: str | None, sep: str = ",") -> tuple[str, dict[str, Any]]:
    note = notes(row, nl)
    lat = "" if row["latitude"] is None else repr(row["latitude"])
    text = sep.join([str(row["id"]), row["case_number"], row["primary_type"], quote(note),
                     "true" if row["arrest"] else "false", lat])  # fmt: skip
    values = {"id": row["id"], "case_number": row["case_number"], "primary_type": row["primary_type"],
              "notes": note, "arrest": row["arrest"], "latitude": row["latitude"]}  # fmt: skip
    return text, values


def csv_quoted_newlines(eol: str, nl: str, n: int = 24, start: int = 0) -> Doc:
    """Crime rows whose notes hold a line break (every other row) inside quotes."""
    doc = Doc(eol)
    doc.other(",".join(CRIME_COLUMNS))
    for i, row in enumerate(chicago(n, start)):
        doc.good(*crime_line(row, nl if i % 2 == 0 else None))
    return doc


def csv_mixed_endings() -> Doc:
    """LF, CR LF and CR line ends in one file, with quoted LF and CR LF inside fields."""
    doc = Doc()
    ends = ["\n", "\r\n", "\r"]
    doc.other(",".join(CRIME_COLUMNS), eol="\r\n")
    for i, row in enumerate(chicago(24, 100)):
        nl = [None, "\n", "\r\n", None, "\r"][i % 5]
        doc.good(*crime_line(row, nl), eol=ends[i % 3])
    return doc


PROSTATE_TYPES = {"ID": "int", "CAPSULE": "int", "AGE": "int", "RACE": "int", "DPROS": "int",
                  "DCAPS": "int", "PSA": "double", "VOL": "double", "GLEASON": "int"}  # fmt: skip


def prostate_doc(eol: str, n: int = 30, start: int = 0, header: bool = True, mixed: bool = False) -> Doc:
    doc = Doc(eol)
    ends = ["\n", "\r\n", "\r"]
    if header:
        doc.other(",".join(PROSTATE_TYPES), eol=ends[0] if mixed else None)
    for i, r in enumerate(prostate(n, start)):
        values = {k: (float(r[k]) if t == "double" else int(r[k])) for k, t in PROSTATE_TYPES.items()}
        doc.good(",".join(r[k] for k in PROSTATE_TYPES), values, eol=ends[(i + 1) % 3] if mixed else None)
    return doc


LOAN_TYPES = {
    "loan_amnt": "int", "term": "string", "int_rate": "double", "emp_length": "int",
    "home_ownership": "string", "annual_inc": "double", "purpose": "string", "addr_state": "string",
    "dti": "double", "delinq_2yrs": "int", "revol_util": "double", "total_acc": "int",
    "bad_loan": "int", "longest_credit_length": "int", "verification_status": "string",
}  # fmt: skip


def loan_values(r: dict[str, str]) -> dict[str, Any]:
    return {k: (r[k] if t == "string" else (None if r[k] in ("", "NA") else
                                            (float(r[k]) if t == "double" else int(r[k]))))
            for k, t in LOAN_TYPES.items()}  # fmt: skip


def loan_line(r: dict[str, str], quote_numbers: bool = False) -> str:
    cells = []
    for k, t in LOAN_TYPES.items():
        cells.append(quote(r[k]) if t == "string" or (quote_numbers and r[k] not in ("", "NA")) else r[k])
    return ",".join(cells)


def loans_clean(n: int = 60) -> list[dict[str, str]]:
    """Loans without missing cells (so inferred types are unambiguous)."""
    return [r for r in loans(400) if all(v not in ("", "NA") for v in r.values())][:n]


def csv_loans(quote_numbers: bool = False) -> Doc:
    doc = Doc()
    doc.other(",".join(quote(k) for k in LOAN_TYPES))
    for r in loans_clean(40):
        doc.good(loan_line(r, quote_numbers), loan_values(r))
    return doc


def csv_wrong_field_counts() -> Doc:
    doc = Doc()
    doc.other(",".join(quote(k) for k in LOAN_TYPES))
    for i, r in enumerate(loans_clean(40)):
        line = loan_line(r)
        if i == 7:
            doc.bad(line.rsplit(",", 1)[0], f"14 {FIELDS} 15")  # one field short
        elif i == 19:
            doc.bad(line + ',"extra"', f"16 {FIELDS} 15")
        elif i == 33:
            doc.bad(line.split(",", 1)[0], f"1 {FIELDS} 15")  # a truncated export: one field only
        else:
            doc.good(line, loan_values(r))
    return doc


def csv_repeated_header() -> Doc:
    """Two exports concatenated: the header line appears again mid-file."""
    doc = Doc()
    head = ",".join(quote(k) for k in LOAN_TYPES)
    doc.other(head)
    for i, r in enumerate(loans_clean(36)):
        if i == 18:
            doc.bad(head, HEADER)
        doc.good(loan_line(r), loan_values(r))
    return doc


def csv_fraction_in_int() -> Doc:
    doc = Doc()
    doc.other(",".join(quote(k) for k in LOAN_TYPES))
    for i, r in enumerate(loans_clean(30)):
        if i in (4, 21):
            bad = dict(r, emp_length=f"{r['emp_length']}.5")
            doc.bad(loan_line(bad), NOT_INT)
        else:
            doc.good(loan_line(r), loan_values(r))
    return doc


def csv_unterminated_quote(position: str) -> Doc:
    """A notes field that opens a quote and never closes it (mid-file or on the last line).

    The rows after it hold no quote character at all, so a reader that swallows them into the
    open field is caught; the contract is to quarantine that line alone and resume at the next.
    """
    doc = Doc()
    doc.other(",".join(CRIME_COLUMNS))
    rows = chicago(20, 300)
    at = 9 if position == "mid" else len(rows) - 1
    for i, row in enumerate(rows):
        if i == at:
            lat = repr(row["latitude"]) if row["latitude"] is not None else ""
            opened = f'"{row["description"]} at {row["block"]}'  # no closing quote
            text = f"{row['id']},{row['case_number']},{row['primary_type']},{opened},true,{lat}"
            doc.bad(text, UNTERMINATED, eol="" if position == "last" else None)
        else:
            note = notes(row, None).replace('"', "").replace(",", ";")  # needs no quotes
            lat = "" if row["latitude"] is None else repr(row["latitude"])
            text = ",".join([str(row["id"]), row["case_number"], row["primary_type"], note,
                             "true" if row["arrest"] else "false", lat])  # fmt: skip
            doc.good(text, {"id": row["id"], "case_number": row["case_number"],
                            "primary_type": row["primary_type"], "notes": note,
                            "arrest": row["arrest"], "latitude": row["latitude"]})  # fmt: skip
    return doc


def csv_odd_characters() -> Doc:
    """Characters that are not line breaks in CSV: U+2028, NEL, form feed, vertical tab, a
    quote inside an unquoted field (a literal, as Spark reads it)."""
    doc = Doc()
    doc.other(",".join(CRIME_COLUMNS))
    odd = {2: "\u2028", 5: "\x85", 8: "\x0c", 11: "\x0b", 14: "\x1c"}
    for i, row in enumerate(chicago(20, 1500)):
        if i in odd:
            row = dict(row, description=row["description"] + odd[i] + "(see note)")
        if i in (3, 16):  # unquoted, with a literal quote inside
            note = f'{row["description"]} ABOUT 5" LONG'.replace(",", ";")
            lat = "" if row["latitude"] is None else repr(row["latitude"])
            arrest = "true" if row["arrest"] else "false"
            text = ",".join([str(row["id"]), row["case_number"], row["primary_type"], note, arrest, lat])
            values = {
                "id": row["id"], "case_number": row["case_number"], "primary_type": row["primary_type"],
                "notes": note, "arrest": row["arrest"], "latitude": row["latitude"],
            }  # fmt: skip
            doc.good(text, values)
        else:
            doc.good(*crime_line(row, "\n" if i % 4 == 0 else None))
    return doc


def csv_unterminated_then_quotes() -> Doc:
    """A stray opening quote followed by ordinary quoted fields (some with line breaks): the
    quote pairs with a later one, which must not glue the rows after it into one field."""
    doc = Doc()
    doc.other(",".join(CRIME_COLUMNS))
    for i, row in enumerate(chicago(20, 1700)):
        if i == 6:
            lat = "" if row["latitude"] is None else repr(row["latitude"])
            doc.bad(f'{row["id"]},{row["case_number"]},{row["primary_type"]},"{row["description"]},true,{lat}',
                    UNTERMINATED)  # fmt: skip
        else:
            doc.good(*crime_line(row, "\n" if i % 3 == 1 else None))
    return doc


def csv_dates(fmt: str, sep: str = ",") -> Doc:
    """Crime days as ``M/d/yy`` (fmt "short") or ``yyyy-MM-dd`` (fmt "iso"), some impossible."""
    doc = Doc()
    doc.other(sep.join(["id", "day", "primary_type"]))
    impossible = {
        5: ("13/45/15", "2015-13-45"), 17: ("2/30/15", "2015-02-30"), 26: ("0/12/15", "2015-00-12"),
        22: ("2/29/15", "2015-02-29"),
    }  # fmt: skip
    for i, row in enumerate(chicago(30, 500)):
        day = row["when"].date() if i != 10 else dt.date(2016, 2, 29)  # a leap day is a date
        short = f"{day.month}/{day.day}/{day.year % 100:02d}"
        if i in impossible:
            text = impossible[i][0 if fmt == "short" else 1]
            doc.bad(sep.join([str(row["id"]), text, row["primary_type"]]), f"'{text}' is {BAD_DATE}")
            continue
        text = short if fmt == "short" else day.isoformat()
        doc.good(
            sep.join([str(row["id"]), text, row["primary_type"]]),
            {"id": row["id"], "day": day.isoformat(), "primary_type": row["primary_type"]},
        )
    return doc


def tsv_timestamps(chicago_format: bool) -> Doc:
    """Crime times (ISO, or chicago's own ``MM/dd/yyyy hh:mm:ss a``), some impossible."""
    doc = Doc()
    doc.other("\t".join(["id", "when", "block", "beat"]))
    for i, row in enumerate(chicago(30, 800)):
        w = row["when"]
        text = row["date_raw"] if chicago_format else ts(w)
        values = {"id": row["id"], "when": ts(w), "block": row["block"], "beat": row["beat"]}
        if i in (3, 22):  # month 13, day 45
            text = (
                text.replace(f"{w.month:02d}/{w.day:02d}/", "13/45/")
                if chicago_format
                else (f"{w.year}-13-45 {w:%H:%M:%S}")
            )
            doc.bad(
                "\t".join([str(row["id"]), text, row["block"], row["beat"]]), f"'{text}' is {BAD_TIMESTAMP}"
            )
        elif i == 12:  # 25 o'clock
            text = text.replace(f" {w:%I}:", " 25:") if chicago_format else f"{w:%Y-%m-%d} 25:{w:%M:%S}"
            doc.bad(
                "\t".join([str(row["id"]), text, row["block"], row["beat"]]), f"'{text}' is {BAD_TIMESTAMP}"
            )
        else:
            doc.good("\t".join([str(row["id"]), text, row["block"], row["beat"]]), values)
    return doc


def tsv_faults(eol: str) -> Doc:
    """Crime rows as TSV with a wrong field count and a fraction in an int column."""
    doc = Doc(eol)
    doc.other("\t".join(["id", "case_number", "primary_type", "district", "latitude"]))
    for i, r in enumerate(_csv_rows("chicagoCrimes10k.csv")[1000:1030]):
        cells = [r["ID"], r["Case Number"], r["Primary Type"], r["District"], r["Latitude"]]
        values = {
            "id": int(r["ID"]),
            "case_number": r["Case Number"],
            "primary_type": r["Primary Type"],
            "district": int(r["District"]),
            "latitude": float(r["Latitude"]) if r["Latitude"] else None,
        }
        if i == 6:
            doc.bad("\t".join(cells[:4]), f"4 {FIELDS} 5")
        elif i == 15:
            doc.bad("\t".join(cells + ["spill"]), f"6 {FIELDS} 5")
        elif i == 24:
            cells[3] = cells[3] + ".5"
            doc.bad("\t".join(cells), NOT_INT)
        else:
            doc.good("\t".join(cells), values)
    return doc


# ---------------------------------------------------------------- JSON lines


def loan_object(r: dict[str, str]) -> dict[str, Any]:
    return loan_values(r)


def jdump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


JSON_COLUMNS = {"loan_amnt": "int", "term": "string", "int_rate": "double", "emp_length": "int",
                "addr_state": "string", "bad_loan": "int"}  # fmt: skip


def json_small(r: dict[str, str]) -> dict[str, Any]:
    v = loan_values(r)
    return {k: v[k] for k in JSON_COLUMNS}


def json_clean(eol: str = "\n", blank_lines: bool = False) -> Doc:
    doc = Doc(eol)
    for i, r in enumerate(loans_clean(30)):
        if blank_lines and i in (5, 6, 20):
            doc.other("")
        doc.good(jdump(json_small(r)), json_small(r))
    return doc


def json_faults() -> Doc:
    """Two objects on a line, single quotes, a top-level array, scalars, a truncated object."""
    doc = Doc()
    rows = [json_small(r) for r in loans_clean(40)]
    for i, obj in enumerate(rows):
        text = jdump(obj)
        if i == 3:
            doc.bad(text + " " + jdump(rows[39]), TRAILING)
        elif i == 8:
            doc.bad(text + jdump(rows[38]), TRAILING)
        elif i == 12:
            doc.bad(text.replace('"', "'"), NOT_JSON)
        elif i == 17:
            doc.bad("[" + text + ", " + jdump(rows[37]) + "]", NOT_OBJECT)
        elif i == 21:
            doc.bad("42", NOT_OBJECT)
        elif i == 25:
            doc.bad(text[: len(text) // 2], NOT_JSON)
        elif i == 29:
            doc.bad(text[:-1] + ", }", NOT_JSON)  # trailing comma: not RFC 8259
        elif i >= 37:
            break
        else:
            doc.good(text, obj)
    return doc


def json_single_quotes(allowed: bool) -> Doc:
    doc = Doc()
    for i, r in enumerate(
        loans_clean(
            20,
        )
    ):
        obj = json_small(r)
        if i % 4 == 1:
            text = (
                "{"
                + ", ".join(
                    f"'{k}': " + (f"'{v}'" if isinstance(v, str) else jdump(v)) for k, v in obj.items()
                )
                + "}"
            )
            if allowed:
                doc.good(text, obj)
            else:
                doc.bad(text, NOT_JSON)
        else:
            doc.good(jdump(obj), obj)
    return doc


def json_fraction_in_int() -> Doc:
    doc = Doc()
    for i, r in enumerate(loans_clean(30)):
        obj = json_small(r)
        if i in (2, 19):
            bad = dict(obj, loan_amnt=obj["loan_amnt"] + 0.5)
            doc.bad(jdump(bad), f"{bad['loan_amnt']} {NOT_INT}")
        elif i == 11:
            bad = dict(obj, bad_loan=2.5)
            doc.bad(jdump(bad), f"2.5 {NOT_INT}")
        elif i == 25:
            bad = dict(obj, loan_amnt=3_000_000_000)
            doc.bad(jdump(bad), "3000000000 is out of range for int")
        else:
            doc.good(jdump(obj), obj)
    return doc


def json_unknown_keys() -> Doc:
    """Objects with keys not in ``columns`` (dropped from the data) and a missing key (null)."""
    doc = Doc()
    for i, r in enumerate(loans_clean(30)):
        obj = json_small(r)
        if i % 7 == 3:
            doc.good(jdump(dict(obj, station="ORD", purpose=r["purpose"])), obj)
        elif i == 12:
            short = {k: v for k, v in obj.items() if k != "emp_length"}
            doc.good(jdump(short), dict(obj, emp_length=None))
        else:
            doc.good(jdump(obj), obj)
    return doc


def json_crimes(eol: str) -> Doc:
    """Crime objects: notes with escaped line breaks and quotes, dates, one impossible date."""
    doc = Doc(eol)
    for i, row in enumerate(chicago(24, 1200)):
        obj = {
            "id": row["id"],
            "day": row["when"].date().isoformat(),
            "notes": notes(row, "\n"),
            "arrest": row["arrest"],
            "latitude": row["latitude"],
        }
        if i == 3:  # characters str.splitlines() breaks at; JSON allows them raw in strings
            obj["notes"] = obj["notes"].replace(" at ", " \u2028at\u0085 ", 1)
        if i == 9:
            bad = dict(obj, day="2021-13-40")
            doc.bad(jdump(bad), f"'2021-13-40' is {BAD_DATE}")
        else:
            doc.good(jdump(obj), obj)
    return doc


# ---------------------------------------------------------------- SVMLight


def svm_parse(line: str, limit: int | None) -> tuple[float, dict[int, float]]:
    label, *items = line.split()
    feats = {int(k): float(v) for k, v in (t.split(":") for t in items)}
    if limit:
        feats = {k: v for k, v in feats.items() if k <= limit}
    return float(label), feats


def svm_text(label: float, feats: dict[int, float]) -> str:
    return " ".join([f"{label:g}"] + [f"{k}:{v:g}" for k, v in feats.items()])


def svm_values(label: float, feats: dict[int, float], width: int, zero_based: bool = False) -> dict[str, Any]:
    start = 0 if zero_based else 1
    out: dict[str, Any] = {"label": label}
    for i in range(start, start + width):
        out[f"f{i}"] = feats.get(i, 0.0)
    return out


def svm_doc(kind: str, eol: str = "\n") -> Doc:
    """Agaricus lines (features 1..20 only, n_features: 20) with one kind of fault each."""
    doc = Doc(eol)
    lines = agaricus(30, 200 + 30 * len(kind))
    rng = random.Random(9)
    for i, raw in enumerate(lines):
        label, feats = svm_parse(raw, 20)
        feats = {k: round(v * rng.uniform(0.5, 2), 3) for k, v in feats.items()}  # real values, distinct rows
        text = svm_text(label, feats)
        if kind == "zero_index" and i == 11:
            doc.bad("1 0:1 " + text.split(" ", 1)[1], ZERO_INDEX)
        elif kind == "order" and i == 5 and len(feats) >= 2:
            keys = list(feats)
            swapped = {keys[1]: feats[keys[1]], keys[0]: feats[keys[0]], **{k: feats[k] for k in keys[2:]}}
            doc.bad(svm_text(label, swapped), NOT_INCREASING)
        elif kind == "order" and i == 14:
            k, v = next(iter(feats.items()))
            head, rest = text.split(" ", 1)
            doc.bad(f"{head} {k}:{v:g} {rest}", REPEATED)  # the first index twice
        elif kind == "labels" and i in (2, 16):
            doc.bad(text.replace(f"{label:g} ", "yes " if i == 2 else "1.0.0 ", 1), LABEL)
        elif kind == "labels" and i == 24:
            doc.bad(text.replace(":", "=", 1), VALUE)  # a token that is not index:value
        elif kind == "labels" and i == 27:
            k = next(iter(feats))
            doc.bad(text.replace(f" {k}:{feats[k]:g}", f" {k}:abc", 1), VALUE)
        elif kind == "beyond" and i in (6, 20):
            doc.bad(text + " 25:1", BEYOND)
        else:
            doc.good(text, svm_values(label, feats, 20))
    return doc


def svm_comments_qid() -> Doc:
    """Comment lines, trailing comments, ``qid:`` tokens, blank lines, CR LF line ends."""
    doc = Doc("\r\n")
    doc.other("# agaricus sample, features 1..20 # with a second hash")
    for i, raw in enumerate(agaricus(20, 700)):
        label, feats = svm_parse(raw, 20)
        text = svm_text(label, feats)
        if i % 3 == 0:
            text = text.replace(" ", f" qid:{i // 3 + 1} ", 1)
        if i % 4 == 1:
            text += f"  # row {i}"
        if i == 10:
            doc.other("")
        if i % 5 == 2:  # -1 / +1 labels, as in many libsvm data sets
            label = -1.0
            text = "-1" + text[text.index(" ") :]
        elif i % 5 == 3:
            text = "+1" + text[text.index(" ") :]
            label = 1.0
        if i == 6:
            k = next(iter(feats))
            feats[k] = 0.001
            text = text.replace(f" {k}:1", f" {k}:1e-3", 1)
        doc.good(text, svm_values(label, feats, 20))
    return doc


def svm_zero_based() -> Doc:
    doc = Doc()
    for raw in agaricus(20, 900):
        label, feats = svm_parse(raw, 20)
        shifted = {k - 1: v for k, v in feats.items()}
        doc.good(svm_text(label, shifted), svm_values(label, shifted, 20, zero_based=True))
    return doc


def svm_full() -> Doc:
    """The real agaricus lines, all 126 features."""
    doc = Doc()
    for raw in agaricus(15, 1500):
        label, feats = svm_parse(raw, None)
        doc.good(raw, svm_values(label, feats, 126))
    return doc


# ---------------------------------------------------------------- ARFF

IRIS_COLUMNS = ["sepallength", "sepalwidth", "petallength", "petalwidth", "class"]


def iris_values(line: str) -> dict[str, Any]:
    cells = [c.strip() for c in line.split(",")]
    return {**{k: float(v) for k, v in zip(IRIS_COLUMNS[:4], cells[:4], strict=True)}, "class": cells[4]}


def arff_iris(kind: str, eol: str = "\n") -> Doc:
    head, data = arff_data("iris.arff")
    doc = Doc(eol)
    for h in head:
        doc.other(h)
    for i, line in enumerate(data[::5]):  # 30 rows, all three classes
        if kind == "faults" and i == 4:
            doc.bad(line.replace("Iris-", "Iris_"), NOMINAL)
        elif kind == "faults" and i == 9:
            doc.bad(line.rsplit(",", 1)[0], f"{ARITY} (expected 5, got 4)")
        elif kind == "faults" and i == 15:
            doc.bad(line + ",0.3", f"{ARITY} (expected 5, got 6)")
        elif kind == "faults" and i == 21:
            cells = line.split(",")
            doc.bad(",".join([cells[0], "n/a", *cells[2:]]), NOT_NUMBER)
        elif kind == "faults" and i == 25:
            doc.other("% a comment line between rows")
            doc.good(line, iris_values(line))
        else:
            doc.good(line, iris_values(line))
    return doc


def arff_credit() -> Doc:
    """credit-g's quoted nominal values plus a string attribute with commas and quotes."""
    head, data = arff_data("credit-g.arff")
    keep = ["checking_status", "duration", "purpose", "credit_amount", "class"]
    attrs = {}
    for h in head:
        m = re.match(r"@attribute\s+(\S+)\s+(.*)$", h.strip(), re.I)
        if m:
            attrs[m.group(1)] = m.group(2)
    doc = Doc()
    doc.other("% credit-g (UCI German credit), five attributes and a free-text note")
    doc.other("@relation german_credit_notes")
    for k in keep:
        doc.other(f"@attribute {k} {attrs[k]}")
    doc.other("@attribute note string")
    doc.other("@data")
    idx = {k: i for i, k in enumerate(attrs)}
    for i, line in enumerate(data[:30]):
        cells = _arff_split(line)
        vals = [cells[idx[k]] for k in keep]
        note = f"{vals[2]}, {vals[0]}; amount {vals[3]}" if i % 3 else f'said "ok", {vals[4]}'
        quoted_note = (
            ("'" + note.replace("'", "\\'") + "'") if i % 2 else ('"' + note.replace('"', '\\"') + '"')
        )
        text = ",".join(_arff_quote(v) for v in vals) + "," + quoted_note
        values = {
            "checking_status": vals[0],
            "duration": float(vals[1]),
            "purpose": vals[2],
            "credit_amount": float(vals[3]),
            "class": vals[4],
            "note": note,
        }
        if i == 13:
            doc.bad(text[: text.rfind(quoted_note)] + quoted_note[:-1], UNTERMINATED)
        elif i == 22:
            doc.bad(text.replace(_arff_quote(vals[2]), "'space travel'", 1), NOMINAL)
        else:
            doc.good(text, values)
    return doc


def _arff_split(line: str) -> list[str]:
    return next(csv.reader([line], quotechar="'", skipinitialspace=True))


def _arff_quote(v: str) -> str:
    return f"'{v}'" if re.search(r"[ ,'%{}<>=/]", v) else v


def arff_types() -> Doc:
    """integer, date and sparse rows; a fraction in an integer, an impossible date."""
    doc = Doc()
    for h in ["@relation prostate_visits", "@attribute ID integer", "@attribute AGE integer",
              "@attribute PSA numeric", "@attribute visit date yyyy-MM-dd",
              "@attribute GLEASON integer", "@data"]:  # fmt: skip
        doc.other(h)
    base = dt.date(2015, 1, 1)
    for i, r in enumerate(prostate(30, 100)):
        visit = base + dt.timedelta(days=int(r["ID"]) * 3)
        text = f"{r['ID']},{r['AGE']},{r['PSA']},{visit.isoformat()},{r['GLEASON']}"
        values = {
            "ID": int(r["ID"]),
            "AGE": int(r["AGE"]),
            "PSA": float(r["PSA"]),
            "visit": f"{visit.isoformat()} 00:00:00",
            "GLEASON": int(r["GLEASON"]),
        }
        if i == 6:
            doc.bad(text.replace(f",{r['AGE']},", f",{r['AGE']}.5,", 1), f"AGE: {NOT_INTEGER}")
        elif i == 13:
            doc.bad(text.replace(visit.isoformat(), "2015-13-45"), f"visit: {NOT_A_DATE}")
        elif i % 5 == 2:  # sparse form: index value pairs, PSA omitted means 0
            sparse = f"{{0 {r['ID']}, 1 {r['AGE']}, 3 {visit.isoformat()}, 4 {r['GLEASON']}}}"
            doc.good(sparse, dict(values, PSA=0.0))
        else:
            doc.good(text, values)
    return doc


def arff_vote_crlf() -> Doc:
    """vote.arff rows with ``?`` missing values, CR LF line ends."""
    head, data = arff_data("vote.arff")
    names = [re.split(r"\s+", h.strip())[1].strip("'") for h in head if h.lower().startswith("@attribute")]
    doc = Doc("\r\n")
    for h in head:
        doc.other(h)
    for line in data[:25]:
        cells = [c.strip() for c in line.split(",")]
        doc.good(line, {n: (None if c == "?" else c.strip("'")) for n, c in zip(names, cells, strict=True)})
    return doc


# ---------------------------------------------------------------- cases


def text_case(
    path: str,
    doc: Doc,
    options: dict[str, Any],
    schema: dict[str, str] | None,
    *,
    gz: bool = False,
    bom: bool = False,
    note: str = "",
    extra_keys: dict[str, int] | None = None,
) -> dict[str, Any]:
    data = (("\ufeff" if bom else "") + doc.text()).encode("utf-8")
    return {
        "path": path + (".gz" if gz else ""), "bytes": gzip.compress(data, mtime=0) if gz else data,
        "doc": doc, "options": options, "schema": schema, "note": note, "extra_keys": extra_keys,
    }  # fmt: skip


def cases() -> dict[str, dict[str, Any]]:
    crime = {"columns": CRIME_COLUMNS}
    prost = {k: v for k, v in PROSTATE_TYPES.items()}
    c: dict[str, dict[str, Any]] = {}
    # CSV
    c["csv_loans_inferred"] = text_case(
        "csv/loans.csv", csv_loans(), {}, LOAN_TYPES, note="clean baseline, types inferred"
    )
    c["csv_quoted_numbers"] = text_case(
        "csv/quoted_numbers.csv", csv_loans(quote_numbers=True), {"columns": LOAN_TYPES}, LOAN_TYPES
    )
    c["csv_quoted_numbers_inferred"] = text_case(
        "csv/quoted_numbers.csv",
        csv_loans(quote_numbers=True),
        {},
        LOAN_TYPES,
        note="quoted numbers still infer as numbers",
    )
    c["csv_quoted_lf"] = text_case("csv/quoted_lf.csv", csv_quoted_newlines("\n", "\n"), crime, CRIME_COLUMNS)
    c["csv_quoted_crlf"] = text_case(
        "csv/quoted_crlf.csv", csv_quoted_newlines("\r\n", "\r\n", start=30), crime, CRIME_COLUMNS
    )
    c["csv_quoted_cr"] = text_case(
        "csv/quoted_cr.csv", csv_quoted_newlines("\r", "\r", start=60), crime, CRIME_COLUMNS
    )
    c["csv_quoted_lf_in_crlf_file"] = text_case(
        "csv/quoted_lf_in_crlf.csv", csv_quoted_newlines("\r\n", "\n", start=90), crime, CRIME_COLUMNS
    )
    c["csv_mixed_endings"] = text_case("csv/mixed_endings.csv", csv_mixed_endings(), crime, CRIME_COLUMNS)
    c["csv_quoted_lf_gz"] = text_case(
        "csv/quoted_lf.csv", csv_quoted_newlines("\n", "\n", start=130), crime, CRIME_COLUMNS, gz=True
    )
    c["csv_bare_cr"] = text_case(
        "csv/prostate_cr.csv",
        prostate_doc("\r"),
        {},
        prost,
        note="old-Mac line ends, header read the same way",
    )
    c["csv_bare_cr_no_header"] = text_case(
        "csv/prostate_cr_no_header.csv",
        prostate_doc("\r", start=30, header=False),
        {"header": False, "columns": PROSTATE_TYPES},
        prost,
    )
    c["csv_crlf"] = text_case("csv/prostate_crlf.csv", prostate_doc("\r\n", start=60), {}, prost)
    c["csv_mixed_endings_prostate"] = text_case(
        "csv/prostate_mixed.csv", prostate_doc("\n", start=90, mixed=True), {}, prost
    )
    c["csv_bom"] = text_case("csv/prostate_bom.csv", prostate_doc("\n", start=120), {}, prost, bom=True)
    c["csv_bom_crlf_gz"] = text_case(
        "csv/prostate_bom_crlf.csv", prostate_doc("\r\n", start=150), {}, prost, bom=True, gz=True
    )
    c["csv_wrong_field_counts"] = text_case(
        "csv/wrong_field_counts.csv", csv_wrong_field_counts(), {"columns": LOAN_TYPES}, LOAN_TYPES
    )
    c["csv_wrong_field_counts_gz"] = text_case(
        "csv/wrong_field_counts.csv", csv_wrong_field_counts(), {"columns": LOAN_TYPES}, LOAN_TYPES, gz=True
    )
    c["csv_repeated_header"] = text_case(
        "csv/repeated_header.csv", csv_repeated_header(), {"columns": LOAN_TYPES}, LOAN_TYPES
    )
    c["csv_repeated_header_inferred"] = text_case(
        "csv/repeated_header.csv",
        csv_repeated_header(),
        {},
        LOAN_TYPES,
        note="the repeated header must not turn columns into strings",
    )
    c["csv_fraction_in_int"] = text_case(
        "csv/fraction_in_int.csv", csv_fraction_in_int(), {"columns": LOAN_TYPES}, LOAN_TYPES
    )
    c["csv_unterminated_quote_mid"] = text_case(
        "csv/unterminated_quote_mid.csv", csv_unterminated_quote("mid"), crime, CRIME_COLUMNS
    )
    c["csv_unterminated_quote_last"] = text_case(
        "csv/unterminated_quote_last.csv", csv_unterminated_quote("last"), crime, CRIME_COLUMNS
    )
    c["csv_odd_characters"] = text_case("csv/odd_characters.csv", csv_odd_characters(), crime, CRIME_COLUMNS)
    c["csv_unterminated_then_quotes"] = text_case(
        "csv/unterminated_then_quotes.csv", csv_unterminated_then_quotes(), crime, CRIME_COLUMNS
    )
    day = {"id": "int", "day": "date", "primary_type": "string"}
    c["csv_impossible_dates"] = text_case("csv/impossible_dates.csv", csv_dates("iso"), {"columns": day}, day)
    c["csv_date_format"] = text_case(
        "csv/short_dates.csv", csv_dates("short"), {"columns": day, "date_format": "M/d/yy"}, day
    )
    c["csv_date_format_per_column"] = text_case(
        "csv/short_dates.csv",
        csv_dates("short"),
        {"columns": {"id": "int", "day": {"type": "date", "format": "M/d/yy"}, "primary_type": "string"}},
        day,
    )
    # TSV
    when = {"id": "int", "when": "timestamp", "block": "string", "beat": "string"}
    c["tsv_impossible_timestamps"] = text_case(
        "tsv/impossible_timestamps.tsv", tsv_timestamps(False), {"columns": when}, when
    )
    c["tsv_timestamp_format"] = text_case(
        "tsv/chicago_times.tsv",
        tsv_timestamps(True),
        {"columns": when, "timestamp_format": "MM/dd/yyyy hh:mm:ss a"},
        when,
    )
    c["tsv_timestamp_format_per_column"] = text_case(
        "tsv/chicago_times.tsv",
        tsv_timestamps(True),
        {"columns": dict(when, when={"type": "timestamp", "format": "MM/dd/yyyy hh:mm:ss a"})},
        when,
    )
    tsv_cols = {
        "id": "int",
        "case_number": "string",
        "primary_type": "string",
        "district": "int",
        "latitude": "double",
    }
    c["tsv_faults"] = text_case("tsv/faults.tsv", tsv_faults("\n"), {"columns": tsv_cols}, tsv_cols)
    c["tsv_faults_cr"] = text_case("tsv/faults_cr.tsv", tsv_faults("\r"), {"columns": tsv_cols}, tsv_cols)
    c["tsv_faults_crlf_bom_gz"] = text_case(
        "tsv/faults_crlf.tsv", tsv_faults("\r\n"), {"columns": tsv_cols}, tsv_cols, gz=True, bom=True
    )
    # JSON lines
    jcols = {"columns": JSON_COLUMNS}
    c["json_clean"] = text_case("json/loans.jsonl", json_clean(), jcols, JSON_COLUMNS)
    c["json_inferred"] = text_case(
        "json/loans.jsonl",
        json_clean(),
        {},
        {k: ("bigint" if t == "int" else t) for k, t in JSON_COLUMNS.items()},
        note="no columns: Spark's JSON inference (integers are bigint)",
    )
    c["json_crlf_blank_lines"] = text_case(
        "json/loans_crlf.jsonl", json_clean("\r\n", blank_lines=True), jcols, JSON_COLUMNS
    )
    c["json_faults"] = text_case("json/faults.jsonl", json_faults(), jcols, JSON_COLUMNS)
    c["json_faults_gz"] = text_case("json/faults.jsonl", json_faults(), jcols, JSON_COLUMNS, gz=True)
    c["json_single_quotes"] = text_case(
        "json/single_quotes.jsonl", json_single_quotes(False), jcols, JSON_COLUMNS
    )
    c["json_single_quotes_allowed"] = text_case(
        "json/single_quotes.jsonl",
        json_single_quotes(True),
        dict(jcols, allow_single_quotes=True),
        JSON_COLUMNS,
    )
    c["json_fraction_in_int"] = text_case(
        "json/fraction_in_int.jsonl", json_fraction_in_int(), jcols, JSON_COLUMNS
    )
    c["json_unknown_keys"] = text_case(
        "json/unknown_keys.jsonl",
        json_unknown_keys(),
        jcols,
        JSON_COLUMNS,
        extra_keys={"station": 4, "purpose": 4},
    )
    ccols = {"id": "int", "day": "date", "notes": "string", "arrest": "boolean", "latitude": "double"}
    c["json_crimes_bom"] = text_case(
        "json/crimes.jsonl", json_crimes("\n"), {"columns": ccols}, ccols, bom=True
    )
    # SVMLight
    svm20 = {"label": "double", **{f"f{i}": "double" for i in range(1, 21)}}
    n20 = {"n_features": 20}
    for kind in ("zero_index", "order", "labels", "beyond"):
        c[f"svm_{kind}"] = text_case(f"svmlight/{kind}.svm", svm_doc(kind), dict(n20), svm20)
    c["svm_zero_index_gz"] = text_case(
        "svmlight/zero_index.svm", svm_doc("zero_index"), dict(n20), svm20, gz=True
    )
    c["svm_comments_qid"] = text_case("svmlight/comments_qid.svm", svm_comments_qid(), dict(n20), svm20)
    c["svm_zero_based"] = text_case(
        "svmlight/zero_based.svm",
        svm_zero_based(),
        {"n_features": 20, "zero_based": True},
        {"label": "double", **{f"f{i}": "double" for i in range(20)}},
    )
    c["svm_full_width"] = text_case(
        "svmlight/agaricus.svm",
        svm_full(),
        {"n_features": 126},
        {"label": "double", **{f"f{i}": "double" for i in range(1, 127)}},
    )
    # ARFF
    iris = {**{k: "double" for k in IRIS_COLUMNS[:4]}, "class": "string"}
    c["arff_iris"] = text_case("arff/iris.arff", arff_iris("clean"), {}, iris)
    c["arff_iris_faults"] = text_case("arff/iris_faults.arff", arff_iris("faults"), {}, iris)
    c["arff_iris_faults_gz"] = text_case(
        "arff/iris_faults_crlf.arff", arff_iris("faults", "\r\n"), {}, iris, gz=True
    )
    credit = {
        "checking_status": "string",
        "duration": "double",
        "purpose": "string",
        "credit_amount": "double",
        "class": "string",
        "note": "string",
    }
    c["arff_credit_quoted"] = text_case("arff/credit_notes.arff", arff_credit(), {}, credit)
    c["arff_types"] = text_case(
        "arff/prostate_visits.arff",
        arff_types(),
        {},
        {"ID": "bigint", "AGE": "bigint", "PSA": "double", "visit": "timestamp", "GLEASON": "bigint"},
    )
    vote_doc = arff_vote_crlf()
    c["arff_vote_crlf"] = text_case(
        "arff/vote_crlf.arff", vote_doc, {}, dict.fromkeys(vote_doc.accepted[0], "string")
    )
    # empty files: one per text format
    for fmt, ext in (
        ("csv", "csv"),
        ("tsv", "tsv"),
        ("json", "jsonl"),
        ("svmlight", "svm"),
        ("arff", "arff"),
    ):
        c[f"{fmt}_empty"] = {"path": f"empty/empty.{ext}", "bytes": b"", "options": {}, "outcome": "empty"}
    c["csv_empty_gz"] = {
        "path": "empty/empty.csv.gz",
        "bytes": gzip.compress(b"", mtime=0),
        "options": {},
        "outcome": "empty",
    }
    # missing files
    for fmt, ext in (("csv", "csv"), ("json", "jsonl"), ("parquet", "parquet"), ("arff", "arff")):
        c[f"{fmt}_missing"] = {
            "path": f"missing/not_there.{ext}",
            "bytes": None,
            "options": {},
            "outcome": "source_error",
            "error": "not found",
        }
    return c


def typed_cases() -> dict[str, dict[str, Any]]:
    """Parquet and ORC: typed files (no lines); quarantine only for declared columns."""
    rows = prostate(30, 200)
    psa = [r["PSA"] for r in rows]
    psa[7], psa[18] = "n/a", "2.5e"  # a text column declared double
    gleason = [r["GLEASON"] for r in rows]
    gleason[11] = "6.5"  # declared int
    table = {
        "ID": [int(r["ID"]) for r in rows],
        "AGE": [int(r["AGE"]) for r in rows],
        "PSA_text": psa,
        "GLEASON_text": gleason,
    }
    good = [i for i in range(30) if i not in (7, 11, 18)]
    accepted = [{"ID": table["ID"][i], "AGE": table["AGE"][i], "PSA_text": float(psa[i]),
                 "GLEASON_text": int(gleason[i])} for i in good]  # fmt: skip
    plain = [
        {"ID": table["ID"][i], "AGE": table["AGE"][i], "PSA_text": psa[i], "GLEASON_text": gleason[i]}
        for i in range(30)
    ]
    declared = {"ID": "int", "AGE": "int", "PSA_text": "double", "GLEASON_text": "int"}
    quarantine = [{"line": None, "reason_contains": r, "raw": None} for r in ("double", NOT_INT, "double")]
    out = {}
    for ext in ("parquet", "orc"):
        out[f"{ext}_typed"] = {
            "path": f"typed/prostate.{ext}",
            "table": table,
            "options": {},
            "accepted": plain,
            "quarantine": [],
            "schema": {"ID": "bigint", "AGE": "bigint", "PSA_text": "string", "GLEASON_text": "string"},
        }
        out[f"{ext}_declared"] = {
            "path": f"typed/prostate.{ext}",
            "table": table,
            "options": {"columns": declared},
            "accepted": accepted,
            "quarantine": quarantine,
            "schema": declared,
        }
    return out


def build() -> tuple[dict[str, bytes], dict[str, Any], dict[str, dict[str, Any]]]:
    """(text files by relative path, the manifest, typed tables by relative path)."""
    files: dict[str, bytes] = {}
    tables: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] = {}
    for name, case in cases().items():
        entry: dict[str, Any] = {"file": case["path"], "options": {**case["options"], **ALWAYS}}
        if case.get("note"):
            entry["note"] = case["note"]
        if case["bytes"] is not None:
            files[case["path"]] = case["bytes"]
        if "outcome" in case:
            entry["outcome"] = case["outcome"]
            if "error" in case:
                entry["error"] = case["error"]
            manifest[name] = entry
            continue
        doc: Doc = case["doc"]
        entry |= {
            "outcome": "rows",
            "rows_read": doc.rows_read,
            "rows_accepted": len(doc.accepted),
            "rows_quarantined": len(doc.quarantine),
            "schema": case["schema"],
            "expected": f"expected/{name}.jsonl",
            "quarantine": doc.quarantine,
        }
        if case.get("extra_keys"):
            entry["extra_keys"] = case["extra_keys"]  # JSON keys not in columns: dropped, counted
        files[entry["expected"]] = _jsonl(doc.accepted)
        manifest[name] = entry
    for name, case in typed_cases().items():
        tables[case["path"]] = case["table"]
        n = len(next(iter(case["table"].values())))
        manifest[name] = {
            "file": case["path"], "options": {**case["options"], **ALWAYS}, "outcome": "rows",
            "rows_read": n, "rows_accepted": len(case["accepted"]),
            "rows_quarantined": len(case["quarantine"]),
            "schema": case["schema"], "expected": f"expected/{name}.jsonl", "quarantine": case["quarantine"],
        }  # fmt: skip
        files[f"expected/{name}.jsonl"] = _jsonl(case["accepted"])
    files["manifest.json"] = (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode()
    return files, manifest, tables


def _jsonl(rows: Iterable[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def write_table(path: Path, table: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.orc as orc
    import pyarrow.parquet as pq

    t = pa.table(table)
    if path.suffix == ".parquet":
        pq.write_table(t, path)
    else:
        orc.write_table(t, str(path))


def read_table(path: Path) -> dict[str, Any]:
    import pyarrow.orc as orc
    import pyarrow.parquet as pq

    t = pq.read_table(path) if path.suffix == ".parquet" else orc.read_table(str(path))
    return t.to_pydict()


def differences(root: Path = HERE) -> list[str]:
    """Paths whose committed content differs from a fresh generation (empty when in sync)."""
    files, _, tables = build()
    out = [p for p, data in files.items() if not (root / p).is_file() or (root / p).read_bytes() != data]
    out += [p for p, t in tables.items() if not (root / p).is_file() or read_table(root / p) != t]
    known = set(files) | set(tables) | {"make_corpus.py", "README.md"}
    out += [
        str(p.relative_to(root)) + " (not generated)"
        for p in root.rglob("*")
        if p.is_file() and str(p.relative_to(root)) not in known and "__pycache__" not in p.parts
    ]
    return sorted(out)


def main(argv: list[str]) -> int:
    if "--check" in argv:
        diff = differences()
        for p in diff:
            print(f"differs: {p}")
        return 1 if diff else 0
    files, manifest, tables = build()
    for p, data in files.items():
        (HERE / p).parent.mkdir(parents=True, exist_ok=True)
        (HERE / p).write_bytes(data)
    for p, t in tables.items():
        (HERE / p).parent.mkdir(parents=True, exist_ok=True)
        write_table(HERE / p, t)
    total = sum(f.stat().st_size for f in HERE.rglob("*") if f.is_file())
    print(f"{len(manifest)} cases, {len(files) + len(tables)} files, {total:,} bytes under {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
