"""Deep Learning (feed-forward) MOJOs: Rectifier, Tanh, ExpRectifier and their dropout forms (§10).

    >>> DeepLearningScorer(reader, meta).score(rows)   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from sparkwing.errors import MojoError
from sparkwing.mojo._container import MojoReader
from sparkwing.mojo._labels import binomial_labels, correct_probabilities, multinomial_labels
from sparkwing.mojo._meta import Meta
from sparkwing.mojo._onehot import one_hot_index, set_one_hot

_ACTIVATIONS = ("Rectifier", "Tanh", "ExpRectifier")


def _activate(name: str, v: np.ndarray) -> np.ndarray:
    if name == "Rectifier":
        return 0.5 * (v + np.abs(v))
    if name == "Tanh":
        with np.errstate(over="ignore"):
            return 1.0 - 2.0 / (1.0 + np.exp(2.0 * v))
    with np.errstate(over="ignore"):
        return np.where(v >= 0, v, np.exp(np.minimum(v, 0)) - 1.0)


def _layer(a: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ w.T + b`` summed in genmodel's order, so results match to the last bit.

    genmodel accumulates each dot product in 8 interleaved partial sums over blocks of 8
    inputs, adds them as (p0+p1+p2+p3) then (p4+p5+p6+p7), then the leftover inputs one by
    one, then the bias.
    """
    n, cols = a.shape
    full = (cols // 8) * 8
    if full == 0:
        res = np.zeros((n, w.shape[0]))
    else:
        # partial[k] = sum over blocks of a[:, 8j+k] * w[:, 8j+k], accumulated block by block.
        blocks = full // 8
        a3 = a[:, :full].reshape(n, blocks, 8)
        w3 = w[:, :full].reshape(w.shape[0], blocks, 8)
        partial = np.zeros((8, n, w.shape[0]))
        at = np.ascontiguousarray(a3.transpose(1, 2, 0))  # (blocks, 8, n)
        wt = np.ascontiguousarray(w3.transpose(1, 2, 0))  # (blocks, 8, outputs)
        prod = np.empty_like(partial)
        for j in range(blocks):  # no temporaries: one product buffer reused per block
            np.multiply(at[j][:, :, None], wt[j][:, None, :], out=prod)
            partial += prod
        res = np.zeros((n, w.shape[0]))
        res = res + (((partial[0] + partial[1]) + partial[2]) + partial[3])
        res = res + (((partial[4] + partial[5]) + partial[6]) + partial[7])
    for c in range(full, cols):
        res = res + a[:, c : c + 1] * w[:, c][None, :]
    return res + b


def _one_hot_layer(
    hot: np.ndarray, nums: np.ndarray, cat_end: int, w: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """:func:`_layer` of the input layer without building the one-hot matrix.

    ``hot[:, i]`` is the input set to 1.0 by categorical ``i`` (-1: none) and ``nums`` fill the
    inputs from ``cat_end`` on.  Every input adds ``a * w`` to the partial sum of its position
    modulo 8, in position order; an input of 0 adds a signed zero, which changes nothing (the
    partial sums start at +0.0 and so are never -0.0; the weights are finite), and an input of
    1.0 adds ``w`` itself.  So the ones are added first (the categoricals come before the
    numbers), then each number of the full blocks (not the zeros that share a block with the
    last categoricals), then the leftover inputs one by one.
    """
    n = len(hot)
    outs, cols = w.shape
    full = (cols // 8) * 8
    res = np.zeros((n, outs))
    if full:
        partial = np.zeros((8, n, outs))
        wt = np.ascontiguousarray(w.T)  # (inputs, outputs)
        rows = np.arange(n)
        for i in range(hot.shape[1]):
            h = hot[:, i]
            use = (h >= 0) & (h < full)
            hi, ri = h[use], rows[use]
            partial[hi % 8, ri] += wt[hi]  # one input per row: no repeated (slot, row) pair
        if cat_end < full:  # the numbers in the full blocks, one input at a time, in input order
            cols_t = np.ascontiguousarray(nums[:, : full - cat_end].T)  # (inputs, n)
            prod = np.empty((n, outs))
            for c in range(cat_end, full):
                np.multiply(cols_t[c - cat_end][:, None], wt[c][None, :], out=prod)
                partial[c % 8] += prod
        res = res + (((partial[0] + partial[1]) + partial[2]) + partial[3])
        res = res + (((partial[4] + partial[5]) + partial[6]) + partial[7])
    for c in range(full, cols):
        if c >= cat_end:
            col = nums[:, c - cat_end : c - cat_end + 1]
        else:
            col = (hot == c).any(axis=1, keepdims=True).astype(np.float64)
        res = res + col * w[:, c][None, :]
    return res + b


class DeepLearningScorer:
    def __init__(self, reader: MojoReader, meta: Meta) -> None:
        ini = reader.ini
        self.meta = meta
        self.cats = ini.get_int("cats", lo=0, hi=meta.n_features)
        self.nums = ini.get_int("nums", lo=0, hi=meta.n_features)
        self.cat_offsets = np.array(ini.get_ints("cat_offsets"), dtype=np.int64)
        self.all_levels = ini.get_bool("use_all_factor_levels")
        if self.cats + self.nums != meta.n_features or len(self.cat_offsets) != self.cats + 1:
            raise MojoError("Deep Learning cats/nums/cat_offsets do not match the features")
        if np.any(np.diff(self.cat_offsets) < 0) or self.cat_offsets[0] != 0:
            raise MojoError("Deep Learning cat_offsets are malformed")
        act = ini.get_str("activation")
        self.dropout = act.endswith("WithDropout")
        self.activation = act[: -len("WithDropout")] if self.dropout else act
        if self.activation not in _ACTIVATIONS:
            raise MojoError(f"unsupported Deep Learning activation {act!r}")
        self.distribution = ini.get_str("distribution", "AUTO")
        sizes = ini.get_ints("neural_network_sizes")
        if len(sizes) < 2 or min(sizes) < 1 or max(sizes) > 1_000_000:
            raise MojoError("Deep Learning neural_network_sizes are malformed")
        if sizes[0] != int(self.cat_offsets[-1]) + self.nums:
            raise MojoError("Deep Learning input layer does not match the encoded features")
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for layer in range(len(sizes) - 1):
            w = np.array(ini.get_floats(f"weight_layer{layer}"), dtype=np.float64)
            b = np.array(ini.get_floats(f"bias_layer{layer}"), dtype=np.float64)
            if w.size != sizes[layer + 1] * sizes[layer] or b.size != sizes[layer + 1]:
                raise MojoError(f"Deep Learning layer {layer} has the wrong number of weights")
            # Weights are float32 in H2O; the decimal text round-trips through float32 exactly.
            self.weights.append(
                w.astype(np.float32).astype(np.float64).reshape(sizes[layer + 1], sizes[layer])
            )
            self.biases.append(b)
        mul = ini.get_floats("norm_mul", [])
        sub = ini.get_floats("norm_sub", [])
        self.norm_mul = np.array(mul if mul else [1.0] * self.nums)
        self.norm_sub = np.array(sub if sub else [0.0] * self.nums)
        if len(self.norm_mul) != self.nums or len(self.norm_sub) != self.nums:
            raise MojoError("Deep Learning norm_mul/norm_sub do not match the numeric columns")
        self.resp_mul = ini.get_floats("norm_resp_mul", None)
        self.resp_sub = ini.get_floats("norm_resp_sub", None)
        ratios = ini.get_floats("hidden_dropout_ratios", None)
        n_hidden = len(sizes) - 2
        self.ratios = list(ratios or [0.0] * (n_hidden + 1))
        if self.dropout and len(self.ratios) < n_hidden:
            raise MojoError("Deep Learning hidden_dropout_ratios are missing")
        self.details = {"activation": act, "layers": sizes}
        # The one-hot input layer skips zero inputs: exact only when 0 * w is a zero.
        self._finite_input_weights = bool(np.isfinite(self.weights[0]).all())

    def _hot(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The input each categorical sets to 1.0 (-1: none) and the normalised numbers."""
        hot = one_hot_index(x, self.cats, self.cat_offsets, self.all_levels)
        nums = (x[:, self.cats :] - self.norm_sub) * self.norm_mul
        return hot, np.where(np.isnan(nums), 0.0, nums)

    def _inputs(self, x: np.ndarray) -> np.ndarray:
        n = len(x)
        out = np.zeros((n, self.weights[0].shape[1]))
        set_one_hot(out, one_hot_index(x, self.cats, self.cat_offsets, self.all_levels))
        nums = (x[:, self.cats :] - self.norm_sub) * self.norm_mul
        out[:, int(self.cat_offsets[-1]) :] = np.where(np.isnan(nums), 0.0, nums)
        return out

    def score(self, x: np.ndarray) -> np.ndarray:
        last = len(self.weights) - 1
        sparse = self.cats > 0 and self._finite_input_weights
        a = np.empty((0, 0)) if sparse else self._inputs(x)
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            if layer == 0 and sparse:
                hot, nums = self._hot(x)
                a = _one_hot_layer(hot, nums, int(self.cat_offsets[-1]), w, b)
            else:
                a = _layer(a, w, b)
            if layer < last:
                a = _activate(self.activation, a)
                if self.dropout:
                    a = a * (1.0 - self.ratios[layer])
        k = self.meta.n_classes
        if k == 1:
            v = a[:, 0]
            if self.resp_mul is not None and self.resp_sub is not None:
                v = v / self.resp_mul[0] + self.resp_sub[0]
            with np.errstate(over="ignore"):
                if self.distribution in ("poisson", "gamma", "tweedie"):
                    v = np.exp(v)
                elif self.distribution in ("bernoulli", "quasibinomial", "modified_huber"):
                    v = 1.0 / (1.0 + np.exp(-v))
            return np.column_stack([v, np.zeros(len(v))])
        e = np.exp(a - a.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
        meta = self.meta
        if (
            meta.balance_classes
            and meta.prior_class_distrib is not None
            and meta.model_class_distrib is not None
        ):
            probs = correct_probabilities(probs, meta.prior_class_distrib, meta.model_class_distrib)
        if k == 2:
            label = binomial_labels(probs[:, 1], meta.default_threshold)
        else:
            label = multinomial_labels(probs, meta.prior_class_distrib, x)
        return np.column_stack([label, probs])
