"""The reference profile a model version keeps of its training data, for drift monitoring.

Each feature is summarised as a distribution over a few buckets: a numeric feature by the
shares of rows between bin edges taken at the training quantiles (``value <= edges[0]``,
``edges[0] < value <= edges[1]``, ..., ``value > edges[-1]``); a categorical feature by the
shares of its ``top_k`` most frequent levels plus one ``other`` share.  Both keep the share of
nulls apart (the bucket shares are over non-null rows).  ``prediction`` is the same summary of
what the model predicted on the holdout: ``p1`` for a binary model (the second class's
probability), the value for regression, the label for multiclass.

>>> p = FeatureProfile(name="x", kind="numeric", edges=[1.0, 2.0], shares=[0.2, 0.5, 0.3])
>>> p.buckets()
['<=1', '(1, 2]', '>2']
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

TOP_K = 20  # categorical levels kept by name; the rest share one "other" bucket
BINS = 10  # numeric buckets (quantile edges at 10%, 20%, ... 90%)


class FeatureProfile(BaseModel):
    """One column's distribution at training (non-null rows) and its null share."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["numeric", "categorical"]
    null_share: float = Field(default=0.0, ge=0.0, le=1.0)
    edges: list[float] = Field(default_factory=list, description="Numeric: sorted, distinct bin edges.")
    levels: list[str] = Field(default_factory=list, description="Categorical: the top-K levels.")
    shares: list[float] = Field(
        default_factory=list,
        description="Share of non-null rows per bucket: len(edges)+1 bins, or each level then 'other'.",
    )

    @model_validator(mode="after")
    def _shape(self) -> FeatureProfile:
        want = len(self.edges) + 1 if self.kind == "numeric" else len(self.levels) + 1
        if self.shares and len(self.shares) != want:
            raise ValueError(f"{self.name}: {len(self.shares)} shares for {want} buckets")
        if self.edges != sorted(set(self.edges)):
            raise ValueError(f"{self.name}: bin edges must be sorted and distinct")
        return self

    def buckets(self) -> list[str]:
        """Human names of the buckets, in the order of ``shares``."""
        if self.kind == "categorical":
            return [*self.levels, "(other)"]
        if not self.edges:
            return ["(all)"]
        e = [f"{x:g}" for x in self.edges]
        return [f"<={e[0]}", *[f"({a}, {b}]" for a, b in zip(e, e[1:], strict=False)], f">{e[-1]}"]


class DataProfile(BaseModel):
    """The training data's profile: rows, one :class:`FeatureProfile` per feature, the predictions."""

    model_config = ConfigDict(extra="forbid")

    rows: int = Field(ge=0)
    features: list[FeatureProfile] = Field(default_factory=list)
    prediction: FeatureProfile | None = Field(default=None, description="Holdout predictions.")
    top_k: int = TOP_K

    def feature(self, name: str) -> FeatureProfile | None:
        return next((f for f in self.features if f.name == name), None)
