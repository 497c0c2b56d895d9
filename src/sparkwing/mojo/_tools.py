"""Plain functions behind ``sparkwing mojo inspect`` and ``sparkwing mojo predict`` (no JVM).

    >>> print(inspect_text(load("gbm.zip")))            # doctest: +SKIP
    >>> predict_csv(load("gbm.zip"), "in.csv", "out.csv")  # doctest: +SKIP
    380
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from sparkwing.errors import MojoError
from sparkwing.mojo._model import MojoModel

_BATCH = 50_000


def inspect_text(model: MojoModel) -> str:
    """A readable summary of ``model.info``."""
    i = model.info
    lines = [
        f"algorithm      {i.algorithm} ({i.algorithm_full_name})",
        f"category       {i.category}",
        f"h2o_version    {i.h2o_version}",
        f"mojo_version   {i.mojo_version}",
        f"uuid           {i.uuid}",
    ]
    if i.response is not None:
        lines.append(f"response       {i.response}")
    if i.classes is not None:
        lines.append(f"classes        {', '.join(i.classes)}")
    if i.default_threshold is not None:
        lines.append(f"threshold      {i.default_threshold!r}")
    for key, value in i.details.items():
        lines.append(f"{key:<14} {value}")
    lines.append(f"outputs        {', '.join(i.output_names)}")
    lines.append(f"features       {len(i.features)}")
    for f in i.features:
        if f.domain is None:
            lines.append(f"  {f.name}  numeric")
        else:
            shown = ", ".join(f.domain[:8]) + (", ..." if len(f.domain) > 8 else "")
            lines.append(f"  {f.name}  categorical[{len(f.domain)}]: {shown}")
    return "\n".join(lines)


def _fmt(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if v != v else repr(v)
    return str(v)


def predict_csv(model: MojoModel, in_path: str | os.PathLike[str], out_path: str | os.PathLike[str]) -> int:
    """Score a CSV (header row; empty cell = missing) into a CSV; returns the number of rows.

    Streams in batches, so memory stays bounded for large files.
    """
    src = Path(in_path)
    if not src.exists():
        raise MojoError(f"input CSV not found: {src}", hint="check the path")
    names = list(model.info.output_names)
    rows = 0
    tmp = Path(str(out_path) + ".tmp")
    with src.open(newline="", encoding="utf-8") as fin, tmp.open("w", newline="", encoding="utf-8") as fout:
        reader = csv.reader(fin)
        header = next(reader, None)
        if header is None:
            raise MojoError(f"input CSV is empty: {src}", hint="the first line must name the columns")
        writer = csv.writer(fout)
        writer.writerow(names)
        batch: list[dict[str, str]] = []

        def flush() -> None:
            frame = model.predict(batch)
            for rec in frame.itertuples(index=False):
                writer.writerow([_fmt(v) for v in rec])

        for line_no, cells in enumerate(reader, 2):
            if len(cells) != len(header):
                raise MojoError(f"{src}:{line_no}: {len(cells)} cells, header has {len(header)}")
            batch.append({h: c for h, c in zip(header, cells, strict=True) if c != ""})
            if len(batch) >= _BATCH:
                flush()
                rows += len(batch)
                batch = []
        if batch:
            flush()
            rows += len(batch)
    os.replace(tmp, out_path)
    return rows
