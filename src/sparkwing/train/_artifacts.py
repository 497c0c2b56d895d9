"""Bring a trained model's artifacts to local files: MOJO, genmodel jar, POJO."""

from __future__ import annotations

import logging
import shutil
import urllib.request
from pathlib import Path
from typing import Any

from sparkwing.engine import H2OCloud
from sparkwing.errors import TrainingError, first_line

log = logging.getLogger("sparkwing.train")
NO_POJO = {
    "stackedensemble": "H2O cannot export a POJO for a Stacked Ensemble",
    "glrm": "H2O cannot export a POJO for GLRM",
}
_jar_cache: dict[str, Path] = {}


def save_mojo(mojo_model: Any, dest: Path, h2o_model: Any = None) -> Path:
    """``model.write().save`` writes ``<dir>/mojo_model``; move it to ``dest``.

    The path is a ``file://`` URI: on YARN a bare path means HDFS.  Where the Spark writer
    cannot write the driver's disk (its metadata goes through an executor), the MOJO is
    downloaded from the H2O node over REST instead.
    """
    tmp = dest.parent / f".{dest.name}.d"
    try:
        mojo_model.write().overwrite().save(tmp.resolve().as_uri())
        written: Exception | None = None
    except Exception as exc:  # noqa: BLE001 - py4j errors; the REST download below decides
        written = exc
    src = tmp / "mojo_model"
    if not src.exists() and h2o_model is not None:
        log.info(
            "MOJO writer left no local file (%s); downloading it from the H2O node", written or "no error"
        )
        src = Path(h2o_model.download_mojo(path=str(dest.parent), get_genmodel_jar=False))
    if not src.exists():
        raise TrainingError(
            f"H2O wrote no MOJO under {tmp}", hint="is the algorithm MOJO-capable?"
        ) from written
    shutil.move(str(src), dest)
    shutil.rmtree(tmp, ignore_errors=True)
    return dest


def genmodel_jar(cloud: H2OCloud, work: Path) -> Path:
    """The Java scoring runtime (5 MB), served by the cloud's H2O node; fetched once a process."""
    url = cloud.url + "/3/h2o-genmodel.jar"
    cached = _jar_cache.get(url)
    if cached is not None and cached.exists():
        return cached
    req = urllib.request.Request(url, headers=cloud.auth_header())
    dest = work / "h2o-genmodel.jar"
    with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310 - the loopback H2O node
        dest.write_bytes(resp.read())
    _jar_cache[url] = dest
    return dest


def pojo(h2o_model: Any, algorithm: str, work: Path) -> tuple[Path | None, str | None]:
    """Download the POJO where H2O can make one; else ``(None, why)``."""
    if algorithm in NO_POJO:
        return None, NO_POJO[algorithm]
    dest = work / "pojo"
    dest.mkdir(parents=True, exist_ok=True)
    try:
        h2o_model.download_pojo(path=str(dest), get_genmodel_jar=False)
    except Exception as exc:  # noqa: BLE001 - a POJO is optional; the MOJO is the artifact
        reason = first_line(exc)
        log.warning("no POJO for %s: %s", algorithm, reason)
        shutil.rmtree(dest, ignore_errors=True)
        return None, f"POJO export failed: {reason}"
    return dest, None
