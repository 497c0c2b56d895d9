"""The UI over records a real run wrote (local Spark): quarantine files as the lake writes them,
a published table's history, and a failing ``python:`` step's own traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sparkwing.config import load_spec
from sparkwing.errors import SparkwingError
from sparkwing.ui import UiConfig, create_app

pytestmark = pytest.mark.spark

SPEC = """\
name: ui_real
sources:
  raw: {uri: raw.csv, format: csv, columns: {amount: double}, max_quarantine_share: 0.5}
datasets:
  broken: {from: raw, steps: [{python: {function: "ui_steps:explode"}}]}
tables:
  ui_real.raw: {from: raw}
  ui_real.broken: {from: broken}
"""
STEPS = '''\
def explode(df):
    return df.withColumn("ratio", df.amount) if False else 1 / 0
'''


def test_the_pages_of_a_real_failed_run(spark, settings, tmp_path: Path) -> None:
    from sparkwing.pipeline import run_pipeline

    rows = "".join(f"{i},{i * 1.5}\n" for i in range(40)) + "41,<b>abc</b>\n42,oops\n"
    (tmp_path / "raw.csv").write_text("id,amount\n" + rows)
    (tmp_path / "ui_steps.py").write_text(STEPS)
    (tmp_path / "pipeline.yaml").write_text(SPEC)
    with pytest.raises(SparkwingError):
        run_pipeline(load_spec(tmp_path / "pipeline.yaml"), settings, stop_engine=False)

    c = TestClient(create_app(UiConfig(workspace=settings.workspace)))
    home = c.get("/").text
    assert 'href="/pipelines/ui_real"' in home
    runs = c.get("/pipelines/ui_real").text
    run_id = runs.split('href="/runs/ui_real/')[1].split('"')[0]
    html = c.get(f"/runs/ui_real/{run_id}").text
    assert "ZeroDivisionError" in html and "1 / 0" in html  # the step's own traceback
    q = html[html.index('id="quarantine-raw"'):]
    assert "2 rows quarantined" in q and "amount: not a double" in q
    assert "&lt;b&gt;abc&lt;/b&gt;" in q and "<b>abc</b>" not in q  # a sampled raw line, escaped
    link = q.split('class="download" href="')[1].split('"')[0]
    assert b"oops" in c.get(link).content
    assert 'href="/tables/ui_real/raw"' in html
    table = c.get("/tables/ui_real/raw").text
    assert run_id in table and ">40<" in table  # 40 of the 42 rows accepted
    # the quarantined share against the limit the run recorded, and the table's first rows as
    # Spark wrote them, read back with DuckDB
    quality = c.get("/quality/ui_real").text
    share = quality[quality.index('data-title="quarantined share"'):].split("</figure>")[0]
    assert "max 50.00%" in share and "4.76%" in share  # 2 of 42 rows
    preview = table[table.index('id="preview"'):]
    assert preview.count("<tr>") == 21 and "the first of more" in preview
    spark_app = html[html.index('id="spark-app"'):].split("</dd>")[0]
    assert spark.sparkContext.applicationId in spark_app  # the record's app id, next to its event log
