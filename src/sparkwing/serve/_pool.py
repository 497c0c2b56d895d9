"""Scoring processes: batch requests are scored off the event loop, in a bounded pool.

The event loop only moves bytes: a body over ``inline_bytes`` is handed, unparsed, to one of
``score_workers`` processes (one per core by default, at the lowest CPU priority), which
parses, scores and writes the JSON answer.  A single-row request therefore never waits behind
a 10,000-row batch, and no Python thread of the loop competes for the GIL with scoring.  At most
``score_workers + score_queue`` batch requests are accepted at once; the next one is answered
``503 busy`` with ``Retry-After``::

    >>> pool = ScoringPool(config)                                   # doctest: +SKIP
    >>> out = await pool.score("iris", 1, raw, strict=False, alias="production")  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sparkwing.config import REVEAL_SECRETS
from sparkwing.errors import SparkwingError
from sparkwing.monitor import ProfileCounts
from sparkwing.registry import Registry
from sparkwing.serve._config import ServeConfig
from sparkwing.serve._errors import ServeError, from_sparkwing
from sparkwing.serve._models import CACHE_SIZE, LoadedModel, load_version
from sparkwing.serve._predict import ResponseLimits, predict_bytes
from sparkwing.workspace import Workspace

NICENESS = 19  # scoring processes yield the CPU to the event loop (interactive requests first)
#: a scoring process's first-generation collection threshold (Python's default: 700).  A 1,000-row
#: request allocates thousands of dicts and tuples, all freed by reference counting when it is
#: answered; at 700 the collector ran several times per request for nothing (~5-10 % of its CPU).
GC_THRESHOLD = 20_000


class ScoringPool:
    """A bounded pool of scoring processes, started on first use."""

    def __init__(self, config: ServeConfig) -> None:
        self.size = config.scoring_processes
        self.capacity = self.size + config.score_queue
        self.limits = ResponseLimits(config.max_rows, config.max_warnings, config.max_listed)
        # To the processes through a pipe, never the environment; S3 keys in clear (only there).
        self._config = config.model_dump_json(context=REVEAL_SECRETS)
        self._executor: ProcessPoolExecutor | None = None
        self.active = 0  # batch requests accepted and not yet answered (touched by the loop only)

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.size,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start,
                initargs=(self._config,),
            )
        return self._executor

    async def score(
        self, name: str, version: int, raw: bytes, *, strict: bool, alias: str | None
    ) -> tuple[bytes, int, list[str], ProfileCounts | None]:
        if self.active >= self.capacity:
            raise ServeError(
                503,
                "busy",
                f"{self.active} batch requests are being scored or waiting (limit {self.capacity})",
                hint="retry after a second, or send smaller requests",
                headers={"Retry-After": "1"},
            )
        self.active += 1
        try:
            future = self._pool().submit(_score, name, version, raw, strict, alias, self.limits)
            out = await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._reset()
            raise ServeError(
                503,
                "scoring_failed",
                "a scoring process died (out of memory?)",
                hint="retry, or send fewer rows",
                headers={"Retry-After": "1"},
            ) from None
        finally:
            self.active -= 1
        if out[0] == "error":
            _, status, code, message, hint, details, headers = out
            raise ServeError(status, code, message, hint=hint, details=details, headers=headers)
        return out[1], out[2], out[3], out[4]

    def _reset(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


# --- inside a scoring process ---------------------------------------------------------------

_registry: Registry | None = None
_models: OrderedDict[tuple[str, int], LoadedModel] = OrderedDict()


def _start(config_json: str) -> None:
    global _registry
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    config = ServeConfig.model_validate_json(config_json)
    _registry = Registry(Workspace(config.workspace, s3=config.s3))


def _model(name: str, version: int) -> LoadedModel:
    hit = _models.get((name, version))
    if hit is None:
        assert _registry is not None
        hit = _models[(name, version)] = load_version(_registry, name, version)
        while len(_models) > CACHE_SIZE:
            _models.popitem(last=False)
    _models.move_to_end((name, version))
    return hit


def _score(
    name: str, version: int, raw: bytes, strict: bool, alias: str | None, limits: ResponseLimits
) -> tuple[Any, ...]:
    # Errors travel back as plain tuples: an exception with a custom __init__ does not unpickle.
    try:
        out, n, kinds, counts = predict_bytes(_model(name, version), raw, strict=strict, alias=alias,
                                              limits=limits)
    except SparkwingError as exc:
        err = from_sparkwing(exc)
        return ("error", err.status, err.code, err.message, err.hint, err.details, err.headers)
    except MemoryError:
        return (
            "error",
            503,
            "insufficient_memory",
            "not enough memory to score this request",
            "send fewer rows per request",
            None,
            {"Retry-After": "1"},
        )
    return ("ok", out, n, kinds, counts)
