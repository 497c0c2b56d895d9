"""Stacked Ensembles: base models by name, then the metalearner on their outputs (§6).

    >>> EnsembleScorer(reader, meta).score(rows)   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from sparkwing.errors import MojoError
from sparkwing.mojo._container import MojoReader
from sparkwing.mojo._meta import Meta


class EnsembleScorer:
    def __init__(self, reader: MojoReader, meta: Meta) -> None:
        from sparkwing.mojo._model import load_submodel

        ini = reader.ini
        self.meta = meta
        count = ini.get_int("submodel_count", lo=1, hi=10_000)
        dirs = {ini.get_str(f"submodel_key_{i}"): ini.get_str(f"submodel_dir_{i}") for i in range(count)}
        n_base = ini.get_int("base_models_num", lo=0, hi=10_000)
        self.transform = ini.get_str("metalearner_transform", "NONE")
        if self.transform not in ("NONE", "Logit"):
            raise MojoError(f"unsupported metalearner_transform {self.transform!r}")
        position = {name: i for i, name in enumerate(meta.feature_names)}
        self.bases: list[tuple[int, object, np.ndarray, Meta]] = []
        for i in range(n_base):
            key = ini.get_str(f"base_model{i}", None)
            if key is None:
                continue  # not used by the metalearner
            if key not in dirs:
                raise MojoError(f"stacked ensemble base model {key!r} has no sub-model folder")
            sub_meta, scorer = load_submodel(reader.sub(dirs[key]))
            try:
                cols = np.array([position[n] for n in sub_meta.feature_names], dtype=np.int64)
            except KeyError as exc:
                raise MojoError(
                    f"base model {key!r} needs column {exc.args[0]!r}, absent from the ensemble"
                ) from exc
            self.bases.append((i, scorer, cols, sub_meta))
        meta_key = ini.get_str("metalearner")
        if meta_key not in dirs:
            raise MojoError(f"stacked ensemble metalearner {meta_key!r} has no sub-model folder")
        self.meta_meta, self.metalearner = load_submodel(reader.sub(dirs[meta_key]))
        self.k = meta.n_classes
        self.n_base = n_base
        width = n_base * self.k if self.k > 2 else n_base
        if self.meta_meta.n_features != width:
            raise MojoError(
                f"metalearner expects {self.meta_meta.n_features} inputs, ensemble gives {width}"
            )
        self.details = {"base_models": len(self.bases), "metalearner": self.meta_meta.algo,
                        "transform": self.transform}  # fmt: skip

    def score(self, x: np.ndarray) -> np.ndarray:
        n = len(x)
        k = self.k
        z = np.zeros((n, self.n_base * k if k > 2 else self.n_base))
        for i, scorer, cols, _m in self.bases:
            p = scorer.score(np.ascontiguousarray(x[:, cols]))  # type: ignore[attr-defined]
            if k == 1:
                z[:, i] = p[:, 0]
            elif k == 2:
                z[:, i] = p[:, 2]
            else:
                z[:, i * k : (i + 1) * k] = p[:, 1 : 1 + k]
        if self.transform == "Logit" and k > 1:
            c = np.clip(z, 1e-9, 1 - 1e-9)
            with np.errstate(divide="ignore"):
                z = np.maximum(-19.0, np.log(c / (1 - c)))
        return self.metalearner.score(z)  # type: ignore[attr-defined]
