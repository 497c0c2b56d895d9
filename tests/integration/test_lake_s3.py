"""Sources and outputs on S3, against moto's S3 server on 127.0.0.1 (staged through boto3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparkwing.config import S3Settings, SourceSpec
from sparkwing.errors import SourceError
from sparkwing.lake import SourceContext, fingerprint_source, read_source, write_output
from sparkwing.workspace import Workspace, s3_client

pytestmark = [pytest.mark.s3]
CSV = "id,amount\n1,10\n2,x\n3,30\n4\n5,50\n6,60\n7,70\n8,80\n9,90\n10,100\n"


@pytest.fixture()
def s3ctx(settings, s3_server, tmp_path: Path) -> SourceContext:
    s3 = S3Settings(
        endpoint_url=s3_server, region="us-east-1", access_key_id="test", secret_access_key="test"
    )
    s = settings.model_copy(update={"s3": s3})
    client = s3_client(s3)
    client.create_bucket(Bucket="lake")
    client.put_object(Bucket="lake", Key="raw/loans.csv", Body=CSV.encode())
    client.put_object(Bucket="lake", Key="raw/parts/a.csv", Body=b"k\n1\n")
    client.put_object(Bucket="lake", Key="raw/parts/b.csv", Body=b"k\n2\n")
    return SourceContext(s, Workspace(tmp_path / "ws", s3=s3), "p", "r1", tmp_path)


def test_fingerprint_on_s3_needs_no_spark(s3ctx):
    fp = fingerprint_source(SourceSpec(uri="s3://lake/raw/loans.csv"), s3ctx)
    assert fp["size_bytes"] == len(CSV) and fp["etag"] and fp["files"] == 1
    assert fingerprint_source(SourceSpec(uri="s3a://lake/raw/parts/", format="csv"), s3ctx)["files"] == 2
    with pytest.raises(SourceError, match="not found: s3://lake/raw/none.csv"):
        fingerprint_source(SourceSpec(uri="s3://lake/raw/none.csv"), s3ctx)


@pytest.mark.spark
def test_read_csv_from_s3_reconciles(spark, s3ctx):
    spec = SourceSpec(uri="s3://lake/raw/loans.csv", columns={"amount": "int"}, max_quarantine_share=0.25)
    r = read_source(spark, "loans", spec, s3ctx)
    assert (r.rows_read, r.rows_accepted, r.rows_quarantined) == (10, 8, 2)
    assert r.reasons == {"1 fields, expected 2": 1, "amount: not an int": 1}
    records = [
        json.loads(x) for f in Path(r.quarantine_uri).glob("*.json") for x in f.read_text().splitlines()
    ]
    assert len(records) == 2 and {(rec["line"], rec["raw"]) for rec in records} == {(3, "2,x"), (5, "4")}
    assert r.fingerprint["etag"] and r.fingerprint["uri"] == "s3://lake/raw/loans.csv"
    staged = Path(s3ctx.workspace.staging("p", "r1", "sources/loans"))
    assert any(staged.iterdir())  # the copy Spark read
    parts = read_source(spark, "parts", SourceSpec(uri="s3a://lake/raw/parts", format="csv"), s3ctx)
    assert sorted(r[0] for r in parts.df.collect()) == [1, 2]


@pytest.mark.spark
def test_write_output_to_s3_uploads(spark, s3ctx):
    df = spark.createDataFrame([(1, "a"), (2, "b")], "n int, s string")
    out = write_output(df, "s3://lake/out/scores", "parquet", settings=s3ctx.settings, base_dir=Path("."))
    assert out == "s3://lake/out/scores"
    listing = s3_client(s3ctx.settings.s3).list_objects_v2(Bucket="lake", Prefix="out/")
    keys = [o["Key"] for o in listing["Contents"]]
    assert any(k.endswith(".parquet") for k in keys) and not any(k.endswith(".crc") for k in keys)
    spec = SourceSpec(uri="s3://lake/out/scores", format="parquet")
    assert read_source(spark, "back", spec, s3ctx).rows_read == 2


@pytest.mark.spark
def test_multiline_csv_read_by_byte_ranges_from_s3(spark, s3ctx, monkeypatch):
    import sparkwing.lake._delimited as delimited

    monkeypatch.setattr(delimited, "SPLIT_BYTES", 64)
    body = "".join(f'{i},"a\nb {i}"\n' for i in range(40)) + '40,"open\n41,z\n'
    s3_client(s3ctx.settings.s3).put_object(
        Bucket="lake", Key="raw/multi.csv", Body=("k,v\n" + body).encode()
    )
    spec = SourceSpec(
        uri="s3://lake/raw/multi.csv", columns={"k": "int", "v": "string"}, max_quarantine_share=0.1
    )
    r = read_source(spark, "multi", spec, s3ctx)
    assert (r.rows_read, r.rows_accepted, r.rows_quarantined) == (42, 41, 1)
    records = [
        json.loads(x) for f in Path(r.quarantine_uri).glob("*.json") for x in f.read_text().splitlines()
    ]
    assert [(x["line"], x["raw"], x["reason"]) for x in records] == [(82, '40,"open', "unterminated quote")]
    assert records[0]["file"] == "s3://lake/raw/multi.csv"
    assert sorted(r.df.collect())[5]["v"] == "a\nb 5"


@pytest.mark.spark
def test_a_successful_run_removes_its_staged_copies(spark, settings, s3ctx, tmp_path):
    from sparkwing.config import parse_spec
    from sparkwing.lake import staging_dir
    from sparkwing.pipeline import run_pipeline
    from sparkwing.workspace import Workspace

    s = settings.model_copy(update={"s3": s3ctx.settings.s3})
    spec = parse_spec("name: staged\nsources:\n  parts: {uri: 's3://lake/raw/parts/', format: csv}\n",
                      str(tmp_path / "p.yaml"))
    record = run_pipeline(spec, s, stop_engine=False)
    assert record.status == "succeeded" and record.steps["parts"].rows_out == 2
    staged = staging_dir(Workspace.from_settings(s), "staged", record.run_id)
    assert not staged.exists() and not staged.parent.exists()
    assert any(e["message"] == "removed the staged copies of S3 sources" for e in record.events)
