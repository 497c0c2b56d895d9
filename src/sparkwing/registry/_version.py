"""A registered model version: where it lives, its card, and its artifacts."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkwing.errors import RegistryError
from sparkwing.workspace import Storage, is_remote

MOJO = "model.mojo"
GENMODEL_JAR = "h2o-genmodel.jar"
POJO_DIR = "pojo"
CARD = "card.json"


@dataclass
class ModelVersion:
    """One immutable version of a model, e.g. ``loan_default`` version 3.

    >>> mv = Registry(ws).get("loan_default@production")   # doctest: +SKIP
    >>> mv.local_mojo()                                     # doctest: +SKIP
    PosixPath('/ws/models/loan_default/3/model.mojo')
    """

    name: str
    version: int
    uri: str
    card: dict[str, Any]
    _storage: Storage | None = field(default=None, repr=False, compare=False)
    _cache: Path | None = field(default=None, repr=False, compare=False)

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def artifacts(self) -> dict[str, dict[str, Any]]:
        """Relative path → {"sha256", "size"} for every artifact, as the card lists them."""
        return dict(self.card.get("artifacts") or {})

    def artifact(self, name: str) -> str:
        """The URI of an artifact (``model.mojo``, ``h2o-genmodel.jar``, ``pojo/X.java``)."""
        if name != CARD and name not in self.artifacts:
            raise RegistryError(
                f"{self.ref} has no artifact {name!r}",
                hint="artifacts: " + ", ".join(sorted(self.artifacts)),
            )
        return f"{self.uri}/{name}"

    def local_path(self, name: str) -> Path:
        """A local file holding the artifact ``name`` (downloaded and verified if remote)."""
        uri = self.artifact(name)
        if not is_remote(uri):
            return Path(uri.removeprefix("file://"))
        if self._cache is None:
            self._cache = Path(tempfile.mkdtemp(prefix=f"sparkwing-{self.name}-{self.version}-"))
        dst = self._cache / name
        if not dst.exists():
            assert self._storage is not None
            data = self._storage.read_bytes(uri)
            verify_bytes(self, name, data)
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_name(f".{dst.name}.part")
            tmp.write_bytes(data)
            os.replace(tmp, dst)
        return dst

    def local_mojo(self) -> Path:
        return self.local_path(MOJO)

    def local_genmodel_jar(self) -> Path:
        return self.local_path(GENMODEL_JAR)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "uri": self.uri, "card": self.card}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify_bytes(mv: ModelVersion, name: str, data: bytes) -> None:
    expected = mv.artifacts.get(name, {}).get("sha256")
    actual = sha256(data)
    if expected != actual:
        raise RegistryError(
            f"checksum mismatch in {mv.ref}: {name} (sha256 {actual[:12]}..., "
            f"card says {str(expected)[:12]}...)",
            hint=f"the file {mv.uri}/{name} was changed or corrupted after registration; "
            "register the model again",
        )
