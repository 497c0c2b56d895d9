"""Which Hive metastore Spark's built-in Hive 2.3.9 client opens: Derby, PostgreSQL or Glue.

Derby (the default) lives in the workspace and admits one JVM at a time.  A PostgreSQL
database admits many: every sparkwing process on the workspace (runs, ``sparkwing sql``, the
scheduler, the UI) opens it through JDBC at the same time.  The driver jar goes on the driver's
classpath at JVM launch (the metastore client loads it from there, not from ``spark.jars``).

The password never enters :func:`metastore_conf` (its output goes into spark-submit lines and
logs); :func:`metastore_secrets` gives it separately, for the SparkSession builder only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sparkwing.config import Settings
from sparkwing.errors import ConfigError, EngineError

POSTGRES_DRIVER = "org.postgresql.Driver"
GLUE_FACTORY = "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"
JDO = "spark.hadoop.javax.jdo.option."
PASSWORD_KEY = JDO + "ConnectionPassword"
JAR_HINT = (
    "install Debian's libpostgresql-jdbc-java (`apt-get install libpostgresql-jdbc-java`, the jar lands in "
    "/usr/share/java/postgresql.jar), or download the driver jar from https://jdbc.postgresql.org and set "
    "metastore.jdbc_jar to its path"
)


def metastore_kind(settings: Settings) -> str:
    """``"derby"``, ``"postgresql"`` or ``"glue"``."""
    if settings.metastore.url and settings.metastore.glue:
        raise ConfigError("metastore: url and glue exclude each other", hint="keep one of them")
    if settings.metastore.glue:
        return "glue"
    return "postgresql" if settings.metastore.url else "derby"


def jdbc_target(url: str, user: str | None = None) -> tuple[str, str | None]:
    """``postgresql://user@host:port/db?x=y`` → (``jdbc:postgresql://host:port/db?x=y``, ``user``).

    >>> jdbc_target("postgresql://hive@127.0.0.1:5432/metastore")
    ('jdbc:postgresql://127.0.0.1:5432/metastore', 'hive')
    """
    plain = url.removeprefix("jdbc:")
    parts = urlsplit(plain)
    host = parts.hostname or ""
    if not host or not parts.path.strip("/"):
        raise ConfigError(f"metastore url {url!r} needs a host and a database",
                          hint="e.g. postgresql://hive@127.0.0.1:5432/metastore")
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    query = f"?{parts.query}" if parts.query else ""
    named = unquote(parts.username) if parts.username else None
    return f"jdbc:postgresql://{netloc}{parts.path}{query}", named or user


def metastore_conf(settings: Settings) -> dict[str, str]:
    """The Spark settings of a PostgreSQL or Glue metastore (none for Derby); no password."""
    kind = metastore_kind(settings)
    if kind == "glue":
        return {"spark.hadoop.hive.metastore.client.factory.class": GLUE_FACTORY}
    if kind == "derby":
        return {}
    ms = settings.metastore
    assert ms.url is not None
    url, user = jdbc_target(ms.url, ms.user)
    conf = {
        JDO + "ConnectionURL": url,
        JDO + "ConnectionDriverName": POSTGRES_DRIVER,
        # Hive 2.3's schema (the TBLS, DBS, ... tables) is created on first use by DataNucleus;
        # there is no schematool in pyspark, and no VERSION row to verify against before that.
        "spark.hadoop.datanucleus.schema.autoCreateAll": "true",
        "spark.hadoop.hive.metastore.schema.verification": "false",
        "spark.driver.extraClassPath": ms.jdbc_jar,
    }
    if user:
        conf[JDO + "ConnectionUserName"] = user
    return conf


def metastore_secrets(settings: Settings) -> dict[str, str]:
    """The database password as a Spark setting (empty without one); for the session builder only."""
    if metastore_kind(settings) != "postgresql":
        return {}
    ms = settings.metastore
    if ms.password is not None:
        return {PASSWORD_KEY: ms.password.get_secret_value()}
    if ms.password_file:
        path = Path(ms.password_file).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"metastore.password_file {path}: {exc.strerror or exc}",
                              hint="check the path and its permissions") from None
        return {PASSWORD_KEY: lines[0] if lines else ""}
    return {}


def check_jdbc_jar(settings: Settings) -> None:
    """Refuse to start a PostgreSQL metastore without its JDBC driver jar (one line, how to get it)."""
    if metastore_kind(settings) != "postgresql":
        return
    jar = Path(settings.metastore.jdbc_jar)
    if not jar.is_file():
        raise EngineError(f"the PostgreSQL JDBC driver jar is missing: {jar}", hint=JAR_HINT)


SCHEMA_LOCK = 0x5A5B_1E55  # pg_advisory_lock key: one schema creation at a time per database


def model_classes() -> list[str]:
    """The persistent classes of Hive's metastore model (from ``package.jdo`` in pyspark's jars)."""
    import xml.etree.ElementTree as ET
    import zipfile

    import pyspark

    jars = sorted((Path(pyspark.__file__).parent / "jars").glob("hive-metastore-*.jar"))
    if not jars:
        raise EngineError("pyspark has no hive-metastore jar", hint="reinstall pyspark 3.5")
    with zipfile.ZipFile(jars[0]) as jar:
        root = ET.fromstring(jar.read("package.jdo"))
    return [f"{pkg.get('name')}.{cls.get('name')}"
            for pkg in root.iter("package") for cls in pkg.iter("class")]


def ensure_schema(jvm: Any, conf: dict[str, str], secrets: dict[str, str]) -> bool:
    """Create Hive's metastore tables in the PostgreSQL database up front, if they are missing.

    Left to itself, DataNucleus creates a table the first time a class is used, on a second
    connection, while the first one's transaction holds locks the DDL waits for: on PostgreSQL
    the first CREATE TABLE then hangs for ever.  Creating every table here, in one schema
    transaction before any metastore call, avoids that; a PostgreSQL advisory lock keeps two
    processes (or hosts) from creating them at once.  Returns whether anything was created.
    """
    hadoop = {k.removeprefix("spark.hadoop."): v for k, v in {**conf, **secrets}.items()
              if k.startswith("spark.hadoop.")}
    url, user = hadoop["javax.jdo.option.ConnectionURL"], hadoop.get("javax.jdo.option.ConnectionUserName")
    login = jvm.java.util.Properties()
    if user:
        login.setProperty("user", user)
    if "javax.jdo.option.ConnectionPassword" in hadoop:
        login.setProperty("password", hadoop["javax.jdo.option.ConnectionPassword"])
    connection = jvm.java.sql.DriverManager.getConnection(url, login)
    try:
        statement = connection.createStatement()
        statement.execute(f"SELECT pg_advisory_lock({SCHEMA_LOCK})")
        try:
            found = statement.executeQuery(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_name IN ('DBS', 'TBLS', 'PARTITIONS', 'TBL_PRIVS', 'TAB_COL_STATS')"
            )
            found.next()
            if found.getInt(1) == 5:
                return False
            _create_schema(jvm, hadoop)
            return True
        finally:
            statement.execute(f"SELECT pg_advisory_unlock({SCHEMA_LOCK})")
    finally:
        connection.close()


def _create_schema(jvm: Any, hadoop: dict[str, str]) -> None:
    hive = jvm.org.apache.hadoop.hive.conf.HiveConf()
    for key, value in hadoop.items():
        hive.set(key, value)
    props = jvm.java.util.Properties()
    # Hive's own DataNucleus settings (identifier factory, pool, isolation ...): the same schema
    # as Hive would create.
    picked = hive.getValByRegex(r"^(datanucleus|javax\.jdo)\..*")
    for key in list(picked.keySet()):
        props.setProperty(key, picked.get(key))
    pmf = jvm.javax.jdo.JDOHelper.getPersistenceManagerFactory(props)
    try:
        classes = jvm.java.util.HashSet()
        for name in model_classes():
            classes.add(name)
        pmf.getNucleusContext().getStoreManager().createSchemaForClasses(classes, jvm.java.util.Properties())
    finally:
        pmf.close()
