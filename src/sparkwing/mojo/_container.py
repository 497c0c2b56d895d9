"""Read a MOJO container (zip, folder, bytes or binary file) with hard limits for hostile input.

A MOJO is a zip holding ``model.ini``, ``domains/dNNN.txt`` and algorithm blobs.  Every entry is
read through :class:`MojoReader`, which enforces entry-count and size limits *while* inflating, so
a zip bomb or a lying header costs at most ``max_entry_bytes`` of memory.

>>> reader = open_mojo("model.zip")          # doctest: +SKIP
>>> reader.ini.get_str("algorithm")          # doctest: +SKIP
'Gradient Boosting Machine'
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sparkwing.errors import MojoError

_CHUNK = 1 << 16


@dataclass(frozen=True)
class Limits:
    """Hard limits applied while reading a MOJO; lower them to score untrusted files faster."""

    max_entries: int = 200_000
    max_entry_bytes: int = 256 << 20  # one decompressed entry
    max_total_bytes: int = 1 << 30  # everything decompressed from one container
    max_file_bytes: int = 2 << 30  # the container itself (bytes / file object)
    max_levels: int = 5_000_000  # levels in one domain
    max_columns: int = 1_000_000
    max_submodel_depth: int = 4  # stacked ensembles inside stacked ensembles


DEFAULT_LIMITS = Limits()


class _Budget:
    """Bytes still allowed across all entries of one container (shared with sub-models)."""

    def __init__(self, total: int) -> None:
        self.left = total

    def take(self, n: int, what: str) -> None:
        self.left -= n
        if self.left < 0:
            raise MojoError(
                f"MOJO decompresses to more than the allowed total while reading {what}",
                hint="the file may be a zip bomb; raise Limits.max_total_bytes if it is genuine",
            )


class _Backend:
    def names(self) -> list[str]:
        raise NotImplementedError

    def read(self, name: str, limit: int, budget: _Budget) -> bytes:
        raise NotImplementedError


class _ZipBackend(_Backend):
    def __init__(self, zf: zipfile.ZipFile, limits: Limits) -> None:
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            raise MojoError(
                f"MOJO zip has {len(infos)} entries (limit {limits.max_entries})",
                hint="not a MOJO, or a hostile file",
            )
        self._zf = zf
        self._infos = {i.filename: i for i in infos if not i.is_dir()}

    def names(self) -> list[str]:
        return list(self._infos)

    def read(self, name: str, limit: int, budget: _Budget) -> bytes:
        info = self._infos.get(name)
        if info is None:
            raise MojoError(f"MOJO entry missing: {name}", hint="the MOJO is incomplete or truncated")
        if info.file_size > limit:
            raise MojoError(
                f"MOJO entry {name} declares {info.file_size} bytes (limit {limit})",
                hint="raise Limits.max_entry_bytes if the model is genuinely this large",
            )
        out = bytearray()
        try:
            with self._zf.open(info) as fh:
                while True:
                    chunk = fh.read(_CHUNK)
                    if not chunk:
                        break
                    out += chunk
                    budget.take(len(chunk), name)
                    # The header may lie: stop inflating as soon as the real size is too big.
                    if len(out) > limit or len(out) > info.file_size:
                        raise MojoError(
                            f"MOJO entry {name} inflates beyond its declared size or the limit",
                            hint="the file is corrupt or hostile",
                        )
        except MojoError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
            raise MojoError(f"cannot read MOJO entry {name}: {exc}", hint="the zip is corrupt") from exc
        except Exception as exc:  # zlib.error, NotImplementedError (unknown compression), ...
            raise MojoError(
                f"cannot read MOJO entry {name}: {type(exc).__name__}: {exc}",
                hint="the zip is corrupt or uses an unsupported compression",
            ) from exc
        return bytes(out)


class _FolderBackend(_Backend):
    def __init__(self, root: Path, limits: Limits) -> None:
        self._root = root.resolve()
        names: list[str] = []
        for dirpath, _dirs, files in os.walk(self._root):
            for f in files:
                names.append(Path(dirpath, f).relative_to(self._root).as_posix())
                if len(names) > limits.max_entries:
                    raise MojoError(
                        f"MOJO folder has more than {limits.max_entries} files",
                        hint="point at the MOJO folder itself",
                    )
        self._names = set(names)

    def names(self) -> list[str]:
        return sorted(self._names)

    def read(self, name: str, limit: int, budget: _Budget) -> bytes:
        if name not in self._names:
            raise MojoError(f"MOJO entry missing: {name}", hint="the MOJO folder is incomplete")
        path = (self._root / name).resolve()
        if self._root not in path.parents:
            raise MojoError(f"MOJO entry {name} points outside the folder", hint="hostile file")
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise MojoError(f"MOJO entry {name} is larger than {limit} bytes", hint="raise the limit")
        budget.take(len(data), name)
        return data


class MojoReader:
    """Entries of one MOJO (or of a sub-model folder inside it), with ``model.ini`` parsed."""

    def __init__(
        self, backend: _Backend, limits: Limits, budget: _Budget, prefix: str = "", depth: int = 0
    ) -> None:
        self._backend = backend
        self.limits = limits
        self._budget = budget
        self.prefix = prefix
        self.depth = depth
        self.closer: Callable[[], None] | None = None
        from sparkwing.mojo._ini import parse_ini

        self.ini = parse_ini(self.read_text("model.ini"), limits)

    def close(self) -> None:
        if self.closer is not None:
            self.closer()
            self.closer = None

    def has(self, name: str) -> bool:
        return self.prefix + name in self._backend_names

    @property
    def _backend_names(self) -> set[str]:
        names = getattr(self._backend, "_names_cache", None)
        if names is None:
            names = set(self._backend.names())
            self._backend._names_cache = names  # type: ignore[attr-defined]
        return names

    def read(self, name: str) -> bytes:
        return self._backend.read(self.prefix + name, self.limits.max_entry_bytes, self._budget)

    def read_text(self, name: str) -> str:
        data = self.read(name)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MojoError(f"MOJO entry {self.prefix}{name} is not UTF-8 text") from exc

    def sub(self, folder: str) -> MojoReader:
        """The reader of a sub-model stored under ``folder`` (stacked ensembles)."""
        if self.depth + 1 > self.limits.max_submodel_depth:
            raise MojoError("MOJO sub-models are nested too deeply", hint="hostile file")
        clean = PurePosixPath(folder)
        if clean.is_absolute() or ".." in clean.parts:
            raise MojoError(f"MOJO sub-model folder is not relative: {folder!r}")
        prefix = self.prefix + (folder if folder.endswith("/") else folder + "/")
        return MojoReader(self._backend, self.limits, self._budget, prefix, self.depth + 1)


def _open_zip(fh: IO[bytes], limits: Limits) -> _ZipBackend:
    try:
        return _ZipBackend(zipfile.ZipFile(fh), limits)
    except MojoError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise MojoError(
            f"not a readable MOJO zip: {exc}", hint="the file is truncated or not a MOJO"
        ) from exc
    except Exception as exc:  # corrupt central directories raise odd errors
        raise MojoError(
            f"not a readable MOJO zip: {type(exc).__name__}: {exc}", hint="the file is corrupt"
        ) from exc


def open_mojo(source: Any, limits: Limits = DEFAULT_LIMITS) -> MojoReader:
    """Open ``source`` (path to a zip or folder, bytes, or a binary file object)."""
    budget = _Budget(limits.max_total_bytes)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > limits.max_file_bytes:
            raise MojoError(f"MOJO is larger than {limits.max_file_bytes} bytes")
        return MojoReader(_open_zip(io.BytesIO(data), limits), limits, budget)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            return MojoReader(_FolderBackend(path, limits), limits, budget)
        if not path.exists():
            raise MojoError(f"MOJO file not found: {path}", hint="check the path")
        if path.stat().st_size > limits.max_file_bytes:
            raise MojoError(f"MOJO file is larger than {limits.max_file_bytes} bytes: {path}")
        # Stream entries from the file (memory stays bounded by the entry limits); load()
        # closes it once the scorer is built.
        fh = path.open("rb")
        try:
            reader = MojoReader(_open_zip(fh, limits), limits, budget)
        except BaseException:
            fh.close()
            raise
        reader.closer = fh.close
        return reader
    if hasattr(source, "read"):
        data = source.read(limits.max_file_bytes + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise MojoError("MOJO file object must be opened in binary mode", hint="open(path, 'rb')")
        if len(data) > limits.max_file_bytes:
            raise MojoError(f"MOJO is larger than {limits.max_file_bytes} bytes")
        return MojoReader(_open_zip(io.BytesIO(bytes(data)), limits), limits, budget)
    raise MojoError(
        f"cannot load a MOJO from {type(source).__name__}",
        hint="pass a path, bytes, or a binary file object",
    )


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Split like Java's ``BufferedReader.readLine`` (\\n, \\r\\n or \\r), no trailing empty line."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def unescape_level(s: str) -> str:
    """Undo ``escapeNewlines``: ``\\n`` → LF, ``\\r`` → CR, ``\\\\`` → ``\\``."""
    if "\\" not in s:
        return s
    out: list[str] = []
    it: Iterator[str] = iter(s)
    for ch in it:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(it, None)
        if nxt is None:
            out.append("\\")
        elif nxt == "n":
            out.append("\n")
        elif nxt == "r":
            out.append("\r")
        else:
            out.append(nxt)
    return "".join(out)
