"""Is an analyst's query read-only?  ``sparkwing sql`` runs only those unless ``--allow-write``.

The published tables belong to the pipelines that publish them (versioned locations, one atomic
switch, rollback): a ``DROP``, ``INSERT`` or ``ALTER`` typed into the query command would change
a table behind its history's back.  The check is on words, not on a parse, so it is the same for
both SQL engines and needs no JVM: outside string literals, quoted identifiers and comments, the
statement must be one statement, start with a reading keyword, and name no writing keyword
anywhere but as a function (``replace(s, 'a', 'b')``): Spark accepts ``WITH ... INSERT`` and
``FROM t INSERT ...``.  A column that is literally called ``update`` has to be quoted.

>>> check_read_only("SELECT purpose, count(*) FROM credit.loans_clean GROUP BY 1")
>>> check_read_only("DROP TABLE credit.loans_clean")
Traceback (most recent call last):
...
sparkwing.errors.WarehouseError: the query would change the warehouse (DROP); `sparkwing sql` only reads
"""

from __future__ import annotations

import re

from sparkwing.errors import WarehouseError

READING = frozenset({"select", "with", "values", "table", "from", "show", "describe", "desc", "explain"})
WRITING = frozenset({
    "insert", "overwrite", "create", "drop", "alter", "delete", "update", "merge", "truncate",
    "replace", "load", "msck", "repair", "grant", "revoke", "cache", "uncache", "refresh", "set",
    "reset", "add", "copy", "attach", "detach", "install", "export", "import", "pragma", "call",
    "use", "vacuum", "analyze", "optimize", "checkpoint",
})  # fmt: skip
HINT = "pass --allow-write to run it with Spark on purpose (the table's history is not updated)"

# One alternation, tried left to right at each position: comments and quoted text are skipped
# whole, so nothing inside them counts as a keyword or a statement separator.
_TOKENS = re.compile(
    r"""--[^\n]*                    # line comment
      | /\*.*?(?:\*/|\Z)            # block comment (unterminated: to the end)
      | '(?:[^'\\]|\\.|'')*(?:'|\Z) # string literal
      | "(?:[^"\\]|\\.|"")*(?:"|\Z) # double-quoted (identifier or string, by dialect)
      | `(?:[^`]|``)*(?:`|\Z)       # backquoted identifier
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<semi>;)
      | (?P<paren>\()
    """,
    re.VERBOSE | re.DOTALL,
)


def words(query: str) -> list[str]:
    """The query's bare words (lower case), ``;`` and ``(``, in order; quoted text left out."""
    out: list[str] = []
    for m in _TOKENS.finditer(query):
        if m.group("word"):
            out.append(m.group("word").lower())
        elif m.group("semi"):
            out.append(";")
        elif m.group("paren"):
            out.append("(")
    return out


def check_read_only(query: str) -> None:
    """Raise :class:`WarehouseError` unless ``query`` is one statement that only reads."""
    tokens = words(query)
    while tokens and tokens[-1] == ";":
        tokens.pop()
    if not tokens:
        raise WarehouseError("the query is empty", hint='e.g. sparkwing sql "SELECT 1"')
    if ";" in tokens:
        raise WarehouseError("the query holds more than one statement; `sparkwing sql` runs one",
                             hint="run them one at a time")
    first = next((t for t in tokens if t != "("), tokens[0])
    # a writing word right before "(" is a function call: replace(s, 'a', 'b')
    following = [*tokens[1:], ""]
    writing = next((t for t, after in zip(tokens, following, strict=True) if t in WRITING and after != "("),
                   None)
    if writing is not None or first not in READING:
        word = (writing or first).upper()
        raise WarehouseError(f"the query would change the warehouse ({word}); `sparkwing sql` only reads",
                             hint=HINT)
