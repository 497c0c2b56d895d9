"""The H2O password is overwritten in a running event log without disturbing Spark's writer."""

from __future__ import annotations

import json

from sparkwing.engine._events import _overwrite, remember_secret, scrub_event_log

SECRET = "Zq3-vX_9kLmN0pQrStUvWxYz12345678"


def test_overwrite_in_place_keeps_the_writers_appends_and_valid_json(tmp_path) -> None:
    log = tmp_path / "local-1.inprogress"
    with open(log, "wb", buffering=0) as writer:  # Spark's FileOutputStream: its own offset
        writer.write(b'{"Event":"SparkListenerApplicationStart"}\n')
        writer.write(json.dumps({"Event": "H2OContextStartedEvent", "swProperties": [
            ["spark.ext.h2o.password", SECRET, ""]]}).encode() + b"\n")
        assert _overwrite(log, {SECRET.encode()})
        writer.write(b'{"Event":"SparkListenerJobStart"}\n')  # appends after the scrub
    lines = log.read_bytes().splitlines()
    assert SECRET.encode() not in log.read_bytes()
    assert [json.loads(line)["Event"] for line in lines] == [
        "SparkListenerApplicationStart", "H2OContextStartedEvent", "SparkListenerJobStart"]
    assert json.loads(lines[1])["swProperties"][0][1] == "*" * len(SECRET)


def test_overwrite_says_when_there_is_nothing_to_scrub(tmp_path) -> None:
    log = tmp_path / "local-2.inprogress"
    log.write_bytes(b'{"Event":"SparkListenerApplicationStart"}\n')
    assert not _overwrite(log, {SECRET.encode()})
    assert not _overwrite(tmp_path / "missing", {SECRET.encode()})


def test_a_finished_log_is_scrubbed_when_spark_stops(tmp_path) -> None:
    log = tmp_path / "local-3"
    log.write_text(json.dumps({"p": SECRET}) + "\n")
    remember_secret(SECRET)
    assert scrub_event_log(log.as_uri())
    assert SECRET not in log.read_text()
