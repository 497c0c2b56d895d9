"""Every endpoint and every error answer, in process."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import FIXTURES, PROSTATE_ROW

from sparkwing import mojo


def _predict(client: Any, name: str, body: Any, **params: Any) -> Any:
    return client.post(f"/v1/models/{name}:predict", json=body, params=params)


def test_health_and_ready(client: Any) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    # Default: every model with a production alias, and only those.
    assert sorted(m["name"] for m in ready.json()["models"]) == ["iris", "prostate", "psa"]


def test_models_list_and_detail(client: Any) -> None:
    models = client.get("/v1/models").json()["models"]
    assert {m["name"]: m["version"] for m in models} == {"iris": 1, "prostate": 1, "psa": 1}
    d = client.get("/v1/models/prostate").json()
    assert d["aliases"] == {"production": 1, "staging": 2}
    assert [v["version"] for v in d["versions"]] == [1, 2]
    assert d["classes"] == ["0", "1"] and d["task"] == "binary" and d["metrics"]["auc"] == 0.8
    race = next(f for f in d["features"] if f["name"] == "RACE")
    assert race["type"] == "categorical" and race["domain"] == ["0", "1", "2"]
    assert race["spark_type"] == "string"
    assert next(f for f in d["features"] if f["name"] == "AGE")["domain"] is None


def test_predict_rows_matches_mojo_in_process(client: Any) -> None:
    rows = [PROSTATE_ROW, {**PROSTATE_ROW, "AGE": 71, "PSA": "12.5"}]
    out = _predict(client, "prostate", {"rows": rows}).json()
    expected = mojo.load(FIXTURES / "glm_binomial_prostate.zip").predict(rows)
    assert out["model"] == "prostate" and out["version"] == 1 and out["alias"] == "production"
    assert [p["predict"] for p in out["predictions"]] == list(expected["predict"])
    assert [p["p1"] for p in out["predictions"]] == pytest.approx(list(expected["p1"]), abs=1e-12)
    assert out["warnings"] == [] and out["unknown_columns"] == [] and out["missing_features"] == []


def test_predict_columns_form_equals_rows_form(client: Any) -> None:
    cols = list(PROSTATE_ROW)
    a = _predict(client, "prostate", {"columns": cols, "data": [[PROSTATE_ROW[c] for c in cols]]}).json()
    b = _predict(client, "prostate", {"rows": [PROSTATE_ROW]}).json()
    assert a == b


def test_alias_and_version_select_the_model(client: Any) -> None:
    staging = _predict(client, "prostate", {"rows": [PROSTATE_ROW]}, alias="staging").json()
    v2 = _predict(client, "prostate", {"rows": [PROSTATE_ROW]}, version=2).json()
    expected = mojo.load(FIXTURES / "gbm_bernoulli_prostate.zip").predict([PROSTATE_ROW])
    assert staging["version"] == v2["version"] == 2 and staging["alias"] == "staging" and v2["alias"] is None
    assert staging["predictions"] == v2["predictions"]
    assert staging["predictions"][0]["p1"] == pytest.approx(float(expected["p1"][0]), abs=1e-12)


def test_regression_and_multiclass(client: Any) -> None:
    psa = _predict(client, "psa", {"rows": [PROSTATE_ROW]}).json()
    assert list(psa["predictions"][0]) == ["predict"] and isinstance(psa["predictions"][0]["predict"], float)
    iris = _predict(
        client, "iris", {"rows": [{"sepal_len": 5.1, "sepal_wid": 3.5, "petal_len": 1.4, "petal_wid": 0.2}]}
    )
    assert iris.json()["predictions"][0]["predict"] == "Iris-setosa"


def test_input_problems_are_warnings(client: Any) -> None:
    row = {**PROSTATE_ROW, "AGE": "old", "RACE": "9", "DCAPS": {"x": 1}, "extra": 1, "other": None}
    del row["VOL"]
    out = _predict(client, "prostate", {"rows": [PROSTATE_ROW, row]}).json()
    kinds = {(w["row"], w["column"]): w["kind"] for w in out["warnings"]}
    assert kinds == {(1, "VOL"): "missing_feature", (1, "AGE"): "unparseable",
                     (1, "RACE"): "unknown_level", (1, "DCAPS"): "unknown_level"}
    assert out["unknown_columns"] == ["extra", "other"] and out["missing_features"] == ["VOL"]
    assert out["warnings_total"] == 4
    # Scored all the same, with NA in place of the bad values (H2O's rule).
    assert len(out["predictions"]) == 2 and out["predictions"][1]["p1"] is not None


def test_wrong_type_for_numeric_is_listed(client: Any) -> None:
    out = _predict(client, "psa", {"rows": [{**PROSTATE_ROW, "AGE": [1, 2], "GLEASON": True}]}).json()
    kinds = {w["column"]: w["kind"] for w in out["warnings"]}
    assert kinds == {"AGE": "wrong_type", "GLEASON": "unparseable"}


def test_strict_refuses_missing_features(client: Any) -> None:
    row = {k: v for k, v in PROSTATE_ROW.items() if k != "PSA"}
    for params, body in (({"strict": "true"}, {"rows": [row]}), ({}, {"rows": [row], "strict": True})):
        r = _predict(client, "prostate", body, **params)
        assert r.status_code == 422 and r.json()["code"] == "missing_feature"
        assert r.json()["details"]["missing"] == ["PSA"]
    assert _predict(client, "prostate", {"rows": [PROSTATE_ROW]}, strict="true").status_code == 200


def test_empty_rows_give_an_empty_result(client: Any) -> None:
    for body in ({"rows": []}, {"columns": ["AGE"], "data": []}):
        out = _predict(client, "prostate", body).json()
        assert out["predictions"] == [] and out["warnings"] == [] and out["version"] == 1


def test_warnings_are_capped_but_counted(make_client: Any) -> None:
    client = make_client(max_warnings=3)
    out = _predict(client, "prostate", {"rows": [{}] * 5}).json()
    assert len(out["warnings"]) == 3 and out["warnings_total"] == 35 and len(out["predictions"]) == 5


@pytest.mark.parametrize(
    ("path", "params", "body", "status", "code"),
    [
        ("nope", {}, {"rows": []}, 404, "unknown_model"),
        ("unpromoted", {}, {"rows": []}, 404, "unknown_model"),
        ("prostate", {"alias": "nope"}, {"rows": []}, 404, "unknown_alias"),
        ("prostate", {"version": 9}, {"rows": []}, 404, "unknown_version"),
        ("prostate", {"version": 1, "alias": "staging"}, {"rows": []}, 422, "invalid_request"),
        ("prostate", {"version": "x"}, {"rows": []}, 422, "invalid_request"),
        ("prostate", {}, {}, 422, "invalid_request"),
        ("prostate", {}, {"rows": [], "columns": ["a"], "data": []}, 422, "invalid_request"),
        ("prostate", {}, {"columns": ["a", "b"], "data": [[1]]}, 422, "invalid_request"),
        ("prostate", {}, {"columns": ["a", "a"], "data": [[1, 2]]}, 422, "invalid_request"),
        ("prostate", {}, {"rows": [1, 2]}, 422, "invalid_request"),
        ("prostate", {}, {"rows": [], "path": "/etc/passwd"}, 422, "invalid_request"),
        ("prostate", {}, [1], 422, "invalid_request"),
    ],
)
def test_error_answers(client: Any, path: str, params: dict, body: Any, status: int, code: str) -> None:
    r = _predict(client, path, body, **params)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code and r.json()["message"]
    assert "Traceback" not in r.text


def test_invalid_json_and_unknown_routes(client: Any) -> None:
    r = client.post(
        "/v1/models/prostate:predict", content=b"{bad", headers={"content-type": "application/json"}
    )
    assert (r.status_code, r.json()["code"]) == (400, "invalid_json")
    r = client.get("/v1/nothing")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = client.delete("/v1/models/prostate")
    assert (r.status_code, r.json()["code"]) == (405, "method_not_allowed")
    r = client.get("/v1/models/nope")
    assert (r.status_code, r.json()["code"]) == (404, "unknown_model")


def test_metrics_count_requests_errors_rows_and_versions(client: Any) -> None:
    _predict(client, "prostate", {"rows": [PROSTATE_ROW] * 3})
    _predict(client, "nope", {"rows": []})
    text = client.get("/metrics").text
    assert (
        'sparkwing_http_requests_total{code="200",endpoint="/v1/models/{name}:predict",method="POST"} 1.0'
        in text
    )
    assert (
        'sparkwing_http_errors_total{code="unknown_model",endpoint="/v1/models/{name}:predict"} 1.0' in text
    )
    assert 'sparkwing_rows_scored_total{model="prostate",version="1"} 3.0' in text
    assert 'sparkwing_model_loaded_version{alias="production",model="prostate"} 1.0' in text
    assert "sparkwing_http_request_duration_seconds_bucket" in text


def test_openapi_names_models_and_has_an_example_per_model(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/v1/models/{name}:predict"]["post"]
    name = next(p for p in op["parameters"] if p["name"] == "name")
    assert name["schema"]["enum"] == ["iris", "prostate", "psa"]
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    assert sorted(examples) == ["iris", "prostate", "psa"]
    for model, ex in examples.items():  # each example scores cleanly
        out = _predict(client, model, ex["value"]).json()
        assert len(out["predictions"]) == 1 and out["missing_features"] == []


def test_pinned_version_and_named_models(make_client: Any) -> None:
    client = make_client(ready=False, models=[{"name": "prostate", "alias": "", "version": 2},
                                             {"name": "unpromoted"}])
    assert client.get("/readyz").status_code == 503  # unpromoted has no production alias
    out = _predict(client, "prostate", {"rows": [PROSTATE_ROW]}).json()
    assert out["version"] == 2 and out["alias"] is None
    r = _predict(client, "unpromoted", {"rows": []})
    assert (r.status_code, r.json()["code"]) == (503, "model_unavailable")


def test_wrong_method_on_predict_is_405_with_allow(client: Any) -> None:
    for method in ("GET", "PUT", "DELETE"):
        r = client.request(method, "/v1/models/prostate:predict")
        assert (r.status_code, r.json()["code"]) == (405, "method_not_allowed"), (method, r.text)
        assert r.headers["allow"] == "POST"
    r = client.post("/v1/models/prostate")
    assert r.status_code == 405


def test_docs_page_needs_nothing_from_outside(client: Any) -> None:
    import re

    page = client.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    urls += re.findall(r"""url:\s*['"]([^'"]+)['"]""", page.text)
    assert urls and not [u for u in urls if "//" in u], urls  # no CDN, no other host
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200 and r.content, url
    assert client.get("/docs/assets/../../_app.py").status_code == 404
    assert client.get("/redoc").status_code == 404  # FastAPI's CDN page is off
