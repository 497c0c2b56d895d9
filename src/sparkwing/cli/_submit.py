"""The ``spark-submit`` line that runs ``sparkwing run SPEC`` as a cluster driver (EMR step style).

It lives with the command line because it *is* a command line: the engine supplies the Spark
settings (:func:`sparkwing.engine.spark_conf`), this module knows ``sparkwing``'s own argv, and
:func:`sparkwing.schedule.submit_argv` writes the line, as it does for every export.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from sparkwing.config import refuse_secret_conf


def submit_command(settings: Any, spec: str, *, extra: list[str] | None = None) -> list[str]:
    """The ``spark-submit`` argv for ``sparkwing run SPEC`` with ``settings`` (a ``Settings``).

    Driver JVM options (Java 17 flags, Derby home) must be on the line: the driver JVM starts
    before sparkwing's code runs.  ``extra`` are global ``sparkwing`` options (before ``run``).

    >>> settings = load_settings({"spark": {"master": "yarn"}, "workspace": "s3://b/ws"})  # doctest: +SKIP
    >>> submit_command(settings, "p.yaml")[:3]  # doctest: +SKIP
    ['spark-submit', '--master', 'yarn']
    """
    from sparkwing.engine import spark_conf, sparkling_jar  # not on every command's start
    from sparkwing.schedule import submit_argv

    conf = spark_conf(settings)
    refuse_secret_conf(conf, "the spark-submit line")
    driver_opts = conf.pop("spark.driver.extraJavaOptions", "")
    master = conf.pop("spark.master")
    conf.pop("spark.app.name", None)
    if "spark.ui.port" not in settings.spark.conf:
        conf.pop("spark.ui.port", None)  # free here says nothing about the driver's host
    jars = conf.pop("spark.jars", None) or sparkling_jar()
    memory = conf.pop("spark.driver.memory", None)
    import sparkwing

    main = str(Path(sparkwing.__file__).parent / "__main__.py")
    return submit_argv(master=master, name=settings.spark.app_name, jars=jars, driver_memory=memory,
                       driver_java_options=driver_opts, conf=conf, app=main,
                       args=["--workspace", settings.workspace, *(extra or []), "run", spec])


def format_command(line: list[str]) -> str:
    """``line`` as a shell command, one option per line."""
    return " \\\n  ".join(shlex.quote(p) for p in line)
