"""The models a service holds: loaded versions, swapped atomically when an alias moves.

A request takes one :class:`LoadedModel` when it starts and scores with it to the end, so a
swap never mixes versions inside a request; the old version is freed when the last request
holding it finishes.  A version that fails its checksum or fails to load is recorded and the
version already loaded keeps serving.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sparkwing import mojo
from sparkwing._types import utcnow_iso
from sparkwing.config import ModelRef
from sparkwing.errors import ConfigError, RegistryError, SparkwingError
from sparkwing.registry import MOJO, ModelCard, Registry
from sparkwing.serve._errors import ServeError
from sparkwing.serve._metrics import Metrics

log = logging.getLogger("sparkwing.serve")
CACHE_SIZE = 8  # versions asked for explicitly (?version= / other aliases) kept loaded


@dataclass(frozen=True)
class LoadedModel:
    """One version ready to score."""

    name: str
    version: int
    model: mojo.MojoModel
    card: ModelCard
    loaded_at: str


@dataclass
class ServedModel:
    """What the service knows of one requested model (``ref``) since the last poll."""

    ref: ModelRef
    current: LoadedModel | None = None
    aliases: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    failed_version: int | None = None
    checked_at: str | None = None

    def status(self) -> dict[str, Any]:
        state = "ready" if self.current else ("failed" if self.error else "loading")
        return {
            "name": self.ref.name,
            "alias": self.ref.alias or None,
            "pinned_version": self.ref.version,
            "version": self.current.version if self.current else None,
            "state": state,
            "error": self.error,
            "failed_version": self.failed_version,
            "loaded_at": self.current.loaded_at if self.current else None,
            "checked_at": self.checked_at,
        }


class ModelStore:
    """Loads the requested models from the registry and keeps them current (:meth:`refresh`)."""

    def __init__(self, registry: Registry, refs: list[ModelRef], metrics: Metrics) -> None:
        self.registry, self.metrics = registry, metrics
        self.served: dict[str, ServedModel] = {}
        for ref in refs:
            if ref.name in self.served:
                raise ConfigError(f"model {ref.name!r} is requested twice", hint="one --model per name")
            self.served[ref.name] = ServedModel(ref)
        self._cache: OrderedDict[tuple[str, int], LoadedModel] = OrderedDict()
        self._lock = threading.Lock()  # one refresh at a time; cache bookkeeping

    # --- the request path -------------------------------------------------------------------

    def pick(self, name: str, alias: str | None, version: int | None) -> LoadedModel | int:
        """The loaded version to score with, or the version number that must be loaded first."""
        served = self._served(name)
        if version is None:
            if alias is None or alias == served.ref.alias:
                if served.current is None:
                    raise ServeError(503, "model_unavailable", f"model {name!r} is not loaded",
                                     hint=served.error or "it is still loading; see /readyz")
                return served.current
            if alias not in served.aliases:
                known = ", ".join(sorted(served.aliases)) or "none"
                raise ServeError(
                    404, "unknown_alias", f"model {name!r} has no alias {alias!r} (aliases: {known})"
                )
            version = served.aliases[alias]
        current = served.current
        if current is not None and current.version == version:
            return current
        hit = self._cache.get((name, version))
        return hit if hit is not None else version

    def load_extra(self, name: str, version: int) -> LoadedModel:
        """Load a version asked for explicitly (blocking: call it from a worker thread)."""
        try:
            loaded = self._load(name, version)
        except RegistryError as exc:
            status = 404 if "has no version" in exc.message else 503
            raise ServeError(status, "unknown_version" if status == 404 else "model_unavailable",
                             exc.message, hint=exc.hint) from None
        with self._lock:
            self._cache[(name, version)] = loaded
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return loaded

    def _served(self, name: str) -> ServedModel:
        served = self.served.get(name)
        if served is None:
            raise ServeError(404, "unknown_model", f"model {name!r} is not served here",
                             hint="GET /v1/models lists the served models")
        return served

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return all(s.current is not None for s in self.served.values())

    def refresh(self) -> list[dict[str, Any]]:
        """Poll the registry once: load and swap in every alias that moved; returns the states."""
        with self._lock:
            for served in self.served.values():
                self._refresh_one(served)
            return [s.status() for s in self.served.values()]

    def _refresh_one(self, served: ServedModel) -> None:
        ref = served.ref
        served.checked_at = utcnow_iso()
        try:
            served.aliases = self.registry.aliases(ref.name)
        except SparkwingError as exc:
            served.error = f"cannot read aliases: {exc.message}"
            return
        target = ref.version if ref.version is not None else served.aliases.get(ref.alias or "")
        if target is None:
            served.error = f"model {ref.name!r} has no alias {ref.alias!r}"
            return
        if served.current is not None and served.current.version == target:
            served.error = served.failed_version = None
            return
        if served.failed_version == target:
            return  # already reported; versions are immutable, so retrying cannot help
        try:
            loaded = self._load(ref.name, target)
        except SparkwingError as exc:
            self._failed(served, target, exc.one_line())
            return
        except Exception as exc:  # noqa: BLE001 - a bad file must never stop the service
            self._failed(served, target, f"{type(exc).__name__}: {exc}")
            return
        previous = served.current
        served.current = loaded  # the swap: one reference assignment
        served.error = served.failed_version = None
        self.metrics.loaded.labels(ref.name, ref.alias or str(ref.version)).set(loaded.version)
        if previous is not None:
            self.metrics.swaps.labels(ref.name, ref.alias or str(ref.version)).inc()
        log.info("serving %s@%s (was %s)", ref.name, loaded.version, previous.version if previous else "-")

    def _failed(self, served: ServedModel, version: int, why: str) -> None:
        keep = f"; still serving version {served.current.version}" if served.current else ""
        served.error = f"version {version} failed to load: {why}{keep}"
        served.failed_version = version
        self.metrics.load_failures.labels(served.ref.name, str(version)).inc()
        log.error("%s@%s", served.ref.name, served.error)

    def _load(self, name: str, version: int) -> LoadedModel:
        loaded = load_version(self.registry, name, version)
        loaded.model.warm_up()  # small requests score here, one row at a time: no first-request stall
        return loaded


def load_version(registry: Registry, name: str, version: int) -> LoadedModel:
    """One registered version, its checksums verified (also used by the scoring processes)."""
    mv = registry.get(ModelRef(name=name, version=version))  # verifies every artifact's checksum
    data = mv.local_mojo().read_bytes()
    # Check the very bytes we load: the file could change between verification and here.
    listed = mv.artifacts.get(MOJO)
    if listed is None or hashlib.sha256(data).hexdigest() != listed.sha256:
        raise RegistryError(f"checksum mismatch in {mv.ref}: {MOJO}", hint="register the model again")
    return LoadedModel(name, version, mojo.load(data), mv.card, utcnow_iso())


def default_refs(registry: Registry, alias: str = "production") -> list[ModelRef]:
    """Every registered model that has ``alias``."""
    return [ModelRef(name=n, alias=alias) for n in registry.models() if alias in registry.aliases(n)]
