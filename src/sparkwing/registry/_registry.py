"""The model registry: immutable versions and audited aliases, as plain files (local or S3).

Layout under ``<workspace>/models/<name>/``::

    1/ 2/ ...              one folder per version: model.mojo, h2o-genmodel.jar, pojo/, card.json
    1/_claim.json          the version number, taken with an exclusive create
    aliases.json           {"seq": n, "aliases": {alias: version}}: a cache of the log's last entry
    aliases.log/<seq>.json one object per alias change, created exclusively (append-only on S3)

A version is complete once ``card.json`` exists; it is written last, exclusively, and holds the
sha256 of every artifact, so a version never changes and a changed file is detected on load.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sparkwing._types import utcnow_iso
from sparkwing.config import ModelRef, check_alias, check_model_name, is_model_name
from sparkwing.errors import RegistryError, SourceError
from sparkwing.registry._card import Artifact, ModelCard, Pojo
from sparkwing.registry._version import (
    CARD,
    GENMODEL_JAR,
    MOJO,
    POJO_DIR,
    ModelVersion,
    sha256,
    verify_bytes,
)
from sparkwing.workspace import Storage, Workspace

CLAIM = "_claim.json"
LOG = "aliases.log"


class Registry:
    """Model versions and aliases under ``<workspace>/models``.

    >>> reg = Registry(Workspace("/tmp/ws"))                             # doctest: +SKIP
    >>> mv = reg.register("loan_default", mojo_path="m.zip", card={...})  # doctest: +SKIP
    >>> reg.set_alias("loan_default", "production", mv.version, reason="first")  # doctest: +SKIP
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.root = workspace.models()
        self._storage: Storage = workspace.storage

    # --- writing ----------------------------------------------------------------------------

    def register(
        self,
        name: str,
        *,
        mojo_path: str | Path,
        genmodel_jar_path: str | Path | None = None,
        pojo_dir: str | Path | None = None,
        card: ModelCard | Mapping[str, Any],
    ) -> ModelVersion:
        """Store the artifacts as the next version of ``name``; returns that version.

        The registry fills the card's ``name``, ``version``, ``created``, ``artifacts`` and
        ``pojo.available``; a mapping is read as a stored card would be (older shapes upgrade).
        """
        check_model_name(name)
        if not isinstance(card, ModelCard):
            card = ModelCard.load(card, where=f"the card given for {name}")
        files: dict[str, bytes] = {MOJO: _read(mojo_path, "MOJO")}
        if genmodel_jar_path is not None:
            files[GENMODEL_JAR] = _read(genmodel_jar_path, "genmodel jar")
        if pojo_dir is not None:
            for p in sorted(Path(pojo_dir).rglob("*")):
                if p.is_file():
                    files[f"{POJO_DIR}/{p.relative_to(pojo_dir).as_posix()}"] = p.read_bytes()
        version = self._claim_version(name)
        uri = self._version_uri(name, version)
        for rel, data in files.items():
            if not self._storage.create_exclusive(f"{uri}/{rel}", data):
                raise RegistryError(f"{name}@{version}: {rel} already exists", hint="versions are immutable")
        pojo = Pojo(available=pojo_dir is not None, reason=card.pojo.reason if pojo_dir is None else None)
        full = card.model_copy(update={
            "name": name,
            "version": version,
            "created": utcnow_iso(),
            "artifacts": {rel: Artifact(sha256=sha256(d), size=len(d)) for rel, d in files.items()},
            "pojo": pojo,
        })
        if not self._storage.create_exclusive(f"{uri}/{CARD}", full.to_json()):
            raise RegistryError(f"{name}@{version} already has a card", hint="versions are immutable")
        return ModelVersion(name, version, uri, full, self._storage)

    def _claim_version(self, name: str) -> int:
        taken = self._numbers(name)
        candidate = (max(taken) if taken else 0) + 1
        for _ in range(1000):
            claim = json.dumps({"claimed": utcnow_iso(), "by": _actor()}).encode()
            if self._storage.create_exclusive(f"{self._version_uri(name, candidate)}/{CLAIM}", claim):
                return candidate
            candidate += 1  # another writer took it first
        raise RegistryError(f"could not allocate a version of {name}", hint="is the registry writable?")

    def set_alias(
        self, name: str, alias: str, version: int, *, reason: str = "", actor: str = ""
    ) -> None:
        """Point ``alias`` at ``version``; the change is appended to the audit log first."""
        check_alias(alias)
        self._load(name, version, verify=False)  # the version must exist and be complete
        for _ in range(100):
            seq, current = self._alias_state(name)
            entry = {
                "seq": seq + 1,
                "time": utcnow_iso(),
                "alias": alias,
                "version": version,
                "previous": current.get(alias),
                "reason": reason,
                "actor": actor or _actor(),
                "aliases": {**current, alias: version},
            }
            body = json.dumps(entry, indent=2, sort_keys=True).encode()
            # The exclusive create orders concurrent writers: a loser re-reads and retries.
            if self._storage.create_exclusive(self._log_uri(name, seq + 1), body):
                state = {"seq": seq + 1, "aliases": entry["aliases"], "updated": entry["time"]}
                self._storage.write_atomic(
                    f"{self._dir(name)}/aliases.json", json.dumps(state, indent=2).encode()
                )
                return
        raise RegistryError(f"alias {name}@{alias} is contended", hint="retry")

    def promote(
        self, name: str, version: int, alias: str, *, reason: str = "", actor: str = ""
    ) -> ModelVersion:
        """Point ``alias`` at ``version`` once every artifact's checksum holds; returns the version.

        What a person promotes by hand goes through here: a version whose files changed since
        it was registered is refused (:meth:`set_alias` alone checks only that it is complete).
        """
        check_alias(alias)  # a bad alias is refused before anything is looked up
        mv = self.get(ModelRef.parse(f"{name}@{version}"))  # a bad number is a one-line error
        self.set_alias(name, alias, version, reason=reason, actor=actor)
        return mv

    # --- reading ----------------------------------------------------------------------------

    def models(self) -> list[str]:
        return sorted(n for n in self._storage.list(self.root) if is_model_name(n) and self.versions(n))

    def versions(self, name: str) -> list[ModelVersion]:
        """Complete versions of ``name``, oldest first (checksums are not verified here)."""
        out = []
        for n in self._numbers(name):
            uri = f"{self._version_uri(name, n)}/{CARD}"
            try:
                card = ModelCard.from_json(self._storage.read_bytes(uri), where=f"card.json of {name}@{n}")
            except SourceError:
                continue  # being written, or abandoned before its card
            out.append(ModelVersion(name, n, self._version_uri(name, n), card, self._storage))
        return out

    def aliases(self, name: str) -> dict[str, int]:
        return dict(self._alias_state(name)[1])

    def alias_log(self, name: str) -> list[dict[str, Any]]:
        """Every alias change of ``name``, oldest first."""
        entries = []
        for item in self._storage.list(f"{self._dir(name)}/{LOG}"):
            if item.endswith(".json"):
                entries.append(json.loads(self._storage.read_bytes(f"{self._dir(name)}/{LOG}/{item}")))
        return sorted(entries, key=lambda e: e["seq"])

    def get(self, ref: str | ModelRef) -> ModelVersion:
        """``name`` (latest version), ``name@3``, ``name@latest`` or ``name@<alias>``; verified."""
        parsed = ref if isinstance(ref, ModelRef) else ModelRef.parse(ref)
        name = parsed.name
        if parsed.latest:
            versions = self._numbers(name, complete=True)
            if not versions:
                raise self._unknown_model(name)
            return self._load(name, versions[-1], verify=True)
        if parsed.version is not None:
            return self._load(name, parsed.version, verify=True)
        tag = str(parsed.alias)
        aliases = self.aliases(name)
        if tag not in aliases:
            if not self._numbers(name, complete=True):
                raise self._unknown_model(name)
            known = ", ".join(sorted(aliases)) or "none"
            raise RegistryError(
                f"model {name!r} has no alias {tag!r} (aliases: {known})",
                hint=f"sparkwing models promote {name} VERSION {tag}",
            )
        return self._load(name, aliases[tag], verify=True)

    def export(self, ref: str, dest_dir: str | Path) -> Path:
        """Copy a verified version's artifacts and card into ``dest_dir``; returns it."""
        mv = self.get(ref)
        dest = Path(dest_dir)
        dest.mkdir(parents=True, exist_ok=True)
        for rel in [*mv.artifacts, CARD]:
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            data = self._storage.read_bytes(f"{mv.uri}/{rel}")
            if rel != CARD:
                verify_bytes(mv, rel, data)
            target.write_bytes(data)
        return dest

    # --- helpers ----------------------------------------------------------------------------

    def _load(self, name: str, version: int, *, verify: bool) -> ModelVersion:
        uri = self._version_uri(name, version)
        try:
            data = self._storage.read_bytes(f"{uri}/{CARD}")
        except SourceError:
            if not self._numbers(name, complete=True):
                raise self._unknown_model(name) from None
            known = ", ".join(str(n) for n in self._numbers(name, complete=True))
            raise RegistryError(
                f"model {name!r} has no version {version} (versions: {known})",
                hint="`sparkwing models show NAME` lists versions and aliases",
            ) from None
        card = ModelCard.from_json(data, where=f"card.json of {name}@{version}")
        mv = ModelVersion(name, version, uri, card, self._storage)
        if verify:
            for rel in mv.artifacts:
                try:
                    data = self._storage.read_bytes(f"{uri}/{rel}")
                except SourceError:
                    raise RegistryError(
                        f"{name}@{version}: artifact {rel} is missing", hint=f"{uri}/{rel}"
                    ) from None
                verify_bytes(mv, rel, data)
        return mv

    def _numbers(self, name: str, *, complete: bool = False) -> list[int]:
        nums = sorted(int(n) for n in self._storage.list(f"{self._dir(name)}") if n.isdigit())
        if complete:
            nums = [n for n in nums if self._storage.exists(f"{self._version_uri(name, n)}/{CARD}")]
        return nums

    def _alias_state(self, name: str) -> tuple[int, dict[str, int]]:
        """The latest alias map: aliases.json, rolled forward over log entries it lags behind."""
        seq, aliases = 0, {}
        try:
            state = json.loads(self._storage.read_bytes(f"{self._dir(name)}/aliases.json"))
            seq, aliases = int(state["seq"]), dict(state["aliases"])
        except SourceError:
            pass
        while self._storage.exists(self._log_uri(name, seq + 1)):
            entry = json.loads(self._storage.read_bytes(self._log_uri(name, seq + 1)))
            seq, aliases = entry["seq"], dict(entry["aliases"])
        return seq, aliases

    def _dir(self, name: str) -> str:
        check_model_name(name)  # a name from anywhere must not leave <workspace>/models
        return f"{self.root}/{name}"

    def _version_uri(self, name: str, version: int) -> str:
        return f"{self._dir(name)}/{version}"

    def _log_uri(self, name: str, seq: int) -> str:
        return f"{self._dir(name)}/{LOG}/{seq:08d}.json"

    def _unknown_model(self, name: str) -> RegistryError:
        known = ", ".join(self.models()) or "none"
        return RegistryError(
            f"no model named {name!r} in the registry (models: {known})",
            hint="`sparkwing models` lists registered models",
        )


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise RegistryError(
            f"cannot read the {what} at {path}: {exc.strerror}", hint="was training run?"
        ) from None


def _actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"
