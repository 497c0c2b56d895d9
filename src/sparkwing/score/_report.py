"""What scoring found wrong with its input: the same summary from Spark and from pure Python."""

from __future__ import annotations

from dataclasses import dataclass, field

from sparkwing.errors import ScoringError
from sparkwing.monitor import DriftReport

EXAMPLES = 3  # values kept per column with unseen levels or unparseable values


@dataclass
class InputReport:
    """Rows scored, and the values that were scored as NA because the model could not use them.

    ``missing_features``: features the input lacks (every row NA); ``unseen_levels`` and
    ``unparseable``: column -> rows with a level the model never saw / a value that is not a
    number; ``examples``: column -> the first few such values.
    """

    rows: int = 0
    missing_features: list[str] = field(default_factory=list)
    unseen_levels: dict[str, int] = field(default_factory=dict)
    unparseable: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    drift: DriftReport | None = None  # against the version's training profile (registered models)

    @property
    def clean(self) -> bool:
        return not (self.missing_features or self.unseen_levels or self.unparseable)

    def add_example(self, column: str, value: object) -> None:
        shown = self.examples.setdefault(column, [])
        text = str(value)[:40]
        if len(shown) < EXAMPLES and text not in shown:
            shown.append(text)

    def lines(self) -> list[str]:
        """One line per kind of problem, with counts and examples; empty when the input is clean."""
        out = []
        if self.missing_features:
            out.append(f"missing features ({len(self.missing_features)}, scored as NA): "
                       + ", ".join(self.missing_features))
        for what, counts in (("unseen levels", self.unseen_levels), ("unparseable values", self.unparseable)):
            if counts:
                parts = [f"{col} {n:,} rows (e.g. {', '.join(map(repr, self.examples.get(col, [])))})"
                         for col, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
                out.append(f"{what} (scored as NA): " + "; ".join(parts))
        return out

    def raise_if_dirty(self, model: str) -> None:
        """``--strict``: any value the model could not use is an error (``ScoringError``)."""
        if self.clean:
            return
        raise ScoringError(
            f"the input does not fit {model}: " + " | ".join(self.lines()),
            hint="fix the input (derive the missing features as the pipeline does), or drop --strict",
        )
