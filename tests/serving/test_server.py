"""A real ``sparkgrove serve`` process on loopback, driven over HTTP."""

from __future__ import annotations

import json
import stat
import threading
import time

import httpx
import numpy as np
import pandas as pd
import pytest

from sparkgrove.registry import load_model
from tests.serving.conftest import (
    Server,
    forest,
    penguin_frame,
    records,
    register,
    start_server,
    stop_server,
)


def test_records_and_columns_predict_what_the_tree_model_predicts(server: Server) -> None:
    frame = penguin_frame(300, seed=9)
    frame.loc[0, "island"] = "Atlantis"  # a category the model never saw
    frame.loc[1, ["bill_length_mm", "sex"]] = [np.nan, None]
    model = load_model("penguins@production", server.settings)
    with server.client() as client:
        by_rows = client.post("/v1/models/penguins/predict", json={"instances": records(frame)})
        by_columns = client.post("/v1/models/penguins/predict", json={
            "columns": {c: json.loads(frame[c].to_json(orient="values")) for c in frame}})
    for answer in (by_rows, by_columns):
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["version"] == 1 and body["reference"] == "penguins@production"
        assert body["predictions"] == model.predict(frame).tolist()
        assert body["classes"] == list(model.label.classes)
        np.testing.assert_allclose(body["probabilities"], model.predict_proba(frame), rtol=1e-12)


def test_boosted_models_answer_with_their_link_function(server: Server) -> None:
    frame = penguin_frame(50, seed=4)
    with server.client() as client:
        mass = client.post("/v1/models/mass/predict", json={"instances": records(frame)}).json()
        adelie = client.post("/v1/models/adelie/predict",
                             json={"instances": records(frame)}).json()
    np.testing.assert_allclose(mass["predictions"],
                               load_model("mass", server.settings).predict(frame), rtol=1e-12)
    assert "probabilities" not in mass
    model = load_model("adelie", server.settings)
    assert adelie["predictions"] == model.predict(frame).tolist()
    np.testing.assert_allclose(adelie["probabilities"], model.predict_proba(frame), rtol=1e-12)


def test_open_inference_protocol_v2(server: Server) -> None:
    frame = penguin_frame(20, seed=5)
    model = load_model("penguins@production", server.settings)
    inputs = [{"name": "bill_length_mm", "shape": [20], "datatype": "FP64",
               "data": json.loads(frame.bill_length_mm.to_json(orient="values"))},
              {"name": "flipper_length_mm", "shape": [20, 1], "datatype": "FP32",
               "data": [[v] for v in frame.flipper_length_mm]},
              {"name": "island", "shape": [20], "datatype": "BYTES", "data": list(frame.island)},
              {"name": "sex", "shape": [20], "datatype": "BYTES", "data": list(frame.sex)}]
    with server.client() as client:
        answer = client.post("/v2/models/penguins/infer", json={"id": "r1", "inputs": inputs})
        only = client.post("/v2/models/penguins/infer",
                           json={"inputs": inputs, "outputs": [{"name": "predict"}]})
        meta = client.get("/v2/models/penguins").json()
        assert client.get("/v2/health/ready").status_code == 503  # broken is not loaded
        assert client.get("/v2/models/penguins/ready").json() == {"ready": True}
        assert client.get("/v2").json()["name"] == "sparkgrove"
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model_name"] == "penguins" and body["model_version"] == "1"
    assert body["id"] == "r1"
    outputs = {o["name"]: o for o in body["outputs"]}
    assert outputs["predict"]["data"] == model.predict(frame).tolist()
    assert outputs["predict_proba"]["shape"] == [20, 3]
    np.testing.assert_allclose(np.reshape(outputs["predict_proba"]["data"], (20, 3)),
                               model.predict_proba(frame), rtol=1e-12)
    assert [o["name"] for o in only.json()["outputs"]] == ["predict"]
    assert [i["name"] for i in meta["inputs"]] == model.feature_names
    assert {i["name"]: i["datatype"] for i in meta["inputs"]}["island"] == "BYTES"


def test_model_pages_show_features_classes_metrics_and_lineage(server: Server) -> None:
    with server.client() as client:
        listed = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
        detail = client.get("/v1/models/penguins").json()
    assert listed["penguins"]["status"] == "ready" and listed["penguins"]["version"] == 1
    assert listed["broken"]["status"] == "unavailable"
    features = {f["name"]: f for f in detail["features"]}
    assert features["island"]["kind"] == "categorical"
    assert features["island"]["categories"] == ["Biscoe", "Dream", "Torgersen"]
    assert features["bill_length_mm"]["kind"] == "numeric"
    assert detail["classes"] == ["Adelie", "Chinstrap", "Gentoo"]
    assert detail["metrics"] == {"accuracy": 0.9}
    assert detail["lineage"]["table"] == "demo.penguins"
    assert detail["aliases"] == {"production": 1} and detail["trees"] == 10


def _error(answer: httpx.Response, status: int) -> dict[str, str]:
    assert answer.status_code == status, answer.text
    body: dict[str, str] = answer.json()
    return body


@pytest.mark.parametrize(("body", "field", "rule"), [
    ({"instances": [{"bill_length_mm": 40, "flipper_length_mm": 190, "island": "Dream",
                     "sex": "male", "beak": 3}]}, "instances[0].beak", "known_column"),
    ({"instances": [{"bill_length_mm": 40, "flipper_length_mm": 190, "island": "Dream"}]},
     "instances[0].sex", "required_column"),
    ({"instances": [{"bill_length_mm": "forty", "flipper_length_mm": 190, "island": "Dream",
                     "sex": None}]}, "instances[0].bill_length_mm", "numeric"),
    ({"instances": [{"bill_length_mm": True, "flipper_length_mm": 190, "island": "Dream",
                     "sex": None}]}, "instances[0].bill_length_mm", "numeric"),
    ({"columns": {"bill_length_mm": [40, 41], "flipper_length_mm": [190, 191],
                  "island": ["Dream", {"a": 1}], "sex": [None, None]}},
     "columns.island[1]", "categorical"),
    ({"columns": {"bill_length_mm": [40, 41], "flipper_length_mm": [190],
                  "island": ["Dream", "Dream"], "sex": [None, None]}}, "columns", "same_length"),
    ({"columns": {"bill_length_mm": 40, "flipper_length_mm": [190], "island": ["Dream"],
                  "sex": [None]}}, "columns.bill_length_mm", "list"),
    ({}, "body", "one_of"),
    ({"instances": [], "columns": {}}, "body", "one_of"),
    ({"instances": [7]}, "instances[0]", "object"),
    ({"rows": []}, "rows", "extra_forbidden"),
])
def test_bad_requests_get_422_naming_the_field_and_the_rule(
        server: Server, body: dict[str, object], field: str, rule: str) -> None:
    with server.client() as client:
        error = _error(client.post("/v1/models/penguins/predict", json=body), 422)
    assert error["field"] == field and error["rule"] == rule, error
    assert error["code"] == "input" and len(error["error"]) > 20


def test_infinite_and_malformed_json_are_refused(server: Server) -> None:
    with server.client() as client:
        bad_json = client.post("/v1/models/penguins/predict", content=b'{"instances": [',
                               headers={"Content-Type": "application/json"})
        wrong_type = client.post("/v2/models/penguins/infer", json={"inputs": [
            {"name": "bill_length_mm", "shape": [1], "datatype": "BYTES", "data": ["x"]}]})
        bad_shape = client.post("/v2/models/penguins/infer", json={"inputs": [
            {"name": "bill_length_mm", "shape": [2], "datatype": "FP64", "data": [1.0]}]})
    assert _error(bad_json, 422)["rule"] == "json_invalid"
    assert _error(wrong_type, 422)["field"] == "inputs[0].datatype"
    assert _error(bad_shape, 422)["rule"] == "shape"


def test_too_many_rows_or_bytes_are_413(server: Server) -> None:
    row = {"bill_length_mm": 40, "flipper_length_mm": 190, "island": "Dream", "sex": None}
    with server.client() as client:
        rows = client.post("/v1/models/penguins/predict", json={"instances": [row] * 5001})
        big = client.post("/v1/models/penguins/predict",
                          json={"instances": [row] * 2, "pad": "x" * (2 * 1024 * 1024)})
        at_limit = client.post("/v1/models/penguins/predict", json={"instances": [row] * 5000})
    assert _error(rows, 413)["rule"] == "max_rows"
    assert "5000" in _error(rows, 413)["error"]
    assert _error(big, 413)["rule"] == "max_body_bytes"
    assert at_limit.status_code == 200 and len(at_limit.json()["predictions"]) == 5000


def test_unknown_model_is_404_with_the_served_names(server: Server) -> None:
    with server.client() as client:
        error = _error(client.post("/v1/models/pengiuns/predict", json={"instances": []}), 404)
        assert _error(client.get("/v2/models/nope"), 404)["code"] == "not_found"
    assert "did you mean penguins?" in error["error"]


def test_a_damaged_model_file_makes_that_model_503_and_the_others_answer(server: Server) -> None:
    with server.client() as client:
        error = _error(client.post("/v1/models/broken/predict", json={"instances": []}), 503)
        health = client.get("/healthz").json()
        ok = client.post("/v1/models/mass/predict", json={"instances": []})
    assert error["code"] == "model_unavailable"
    assert "broken:1 cannot be served: Cannot read the tree model" in error["error"]
    assert health == {"status": "degraded", "models": {
        "adelie": "ready", "broken": "unavailable", "mass": "ready", "penguins": "ready"}}
    assert ok.status_code == 200 and ok.json()["predictions"] == []


def test_requests_without_the_token_are_refused(server: Server) -> None:
    with server.client(token=None) as anonymous, server.client(token="guess") as wrong:
        for client in (anonymous, wrong):
            for method, path in (("POST", "/v1/models/penguins/predict"), ("GET", "/v1/models"),
                                 ("GET", "/v1/models/penguins"), ("GET", "/metrics"),
                                 ("POST", "/v2/models/penguins/infer"), ("GET", "/v2/models/mass")):
                answer = client.request(method, path, json={})
                assert answer.status_code == 401, (method, path)
                assert answer.headers["www-authenticate"] == "Bearer"
        assert anonymous.get("/healthz").status_code == 200  # probes stay open
        assert anonymous.get("/openapi.json").status_code == 200
    token_file = server.settings.workspace / "serve" / "token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_metrics_count_requests_latency_and_rows_per_model_and_version(server: Server) -> None:
    row = {"bill_length_mm": 40, "flipper_length_mm": 190, "island": "Dream", "sex": None}
    with server.client() as client:
        for _ in range(3):
            client.post("/v1/models/mass/predict", json={"instances": [row, row]})
        client.post("/v1/models/mass/predict", json={"instances": [{"x": 1}]})
        text = client.get("/metrics").text
    assert ('sparkgrove_requests_total{model="mass",route="/v1/models/{name}/predict",'
            'status="200",version="1"}') in text
    assert ('sparkgrove_request_errors_total{model="mass",route="/v1/models/{name}/predict",'
            'status="422",version="1"} 1.0') in text
    assert 'sparkgrove_request_duration_seconds_bucket{le="0.005",model="mass"' in text
    count = next(line for line in text.splitlines()
                 if line.startswith('sparkgrove_predicted_rows_total{model="mass"'))
    assert float(count.split()[-1]) >= 6


def test_openapi_describes_every_route_with_its_bodies(server: Server) -> None:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    paths = spec["paths"]
    for path in ("/v1/models", "/v1/models/{name}", "/v1/models/{name}/predict", "/healthz",
                 "/metrics", "/v2", "/v2/health/live", "/v2/health/ready", "/v2/models/{name}",
                 "/v2/models/{name}/ready", "/v2/models/{name}/infer"):
        assert path in paths, path
    predict = paths["/v1/models/{name}/predict"]["post"]
    assert predict["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "PredictRequest")
    assert {"200", "401", "404", "413", "422", "503"} <= set(predict["responses"])
    schemas = spec["components"]["schemas"]
    assert {"PredictResponse", "InferRequest", "InferResponse", "ErrorResponse"} <= set(schemas)


def test_an_alias_moved_under_load_switches_versions_and_loses_no_request(
        server: Server) -> None:
    frame = penguin_frame(5, seed=1)
    body = {"instances": records(frame)}
    expected = {v: load_model(f"penguins:{v}", server.settings).predict(frame).tolist()
                for v in (1, 2)}
    seen: list[tuple[int, int, bool]] = []
    stop = threading.Event()

    def load() -> None:
        with server.client() as client:
            while not stop.is_set():
                answer = client.post("/v1/models/penguins/predict", json=body)
                data = answer.json()
                version = data.get("version", 0)
                seen.append((answer.status_code, version,
                             data.get("predictions") == expected.get(version)))

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    from sparkgrove.workspace import Workspace

    try:
        time.sleep(0.5)
        ws = Workspace(server.settings)
        ws.registry.set_alias("penguins", "production", 2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(v == 2 for _, v, _ in seen[-5:]):
            time.sleep(0.05)
        time.sleep(0.3)
        ws.registry.set_alias("penguins", "production", 1)  # as the other tests expect
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and seen[-1][1] != 1:
            time.sleep(0.05)
        ws.close()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert len(seen) > 50
    assert all(status == 200 for status, _, _ in seen), {s for s, _, _ in seen}
    assert all(right for _, _, right in seen), "every answer is its version's prediction"
    versions = [v for _, v, _ in seen]
    assert 2 in versions and versions[-1] == 1


def test_following_every_model_picks_up_new_models_and_versions(serve_settings: object,
                                                                 tmp_path: object) -> None:
    from sparkgrove.settings import Settings
    from sparkgrove.workspace import Workspace

    assert isinstance(serve_settings, Settings)
    running = start_server(serve_settings, "--poll-seconds", "0.1", "--workers", "2")
    try:
        ws = Workspace(serve_settings)
        register(ws, "newcomer", forest(7, n_trees=3))
        ws.close()
        deadline = time.monotonic() + 15
        names: set[str] = set()
        with running.client() as client:
            while time.monotonic() < deadline and "newcomer" not in names:
                names = {m["name"] for m in client.get("/v1/models").json()["models"]}
                time.sleep(0.1)
            newest = client.post("/v1/models/penguins/predict", json={"instances": []}).json()
    finally:
        stop_server(running)
    assert "newcomer" in names
    assert newest["version"] == 2 and newest["reference"] == "penguins"


def test_cli_refuses_no_auth_off_loopback_and_unknown_models(serve_settings: object) -> None:
    import subprocess
    import sys

    from sparkgrove.settings import Settings

    assert isinstance(serve_settings, Settings)
    base = [sys.executable, "-m", "sparkgrove", "--workspace", str(serve_settings.workspace),
            "serve"]
    exposed = subprocess.run([*base, "--host", "0.0.0.0", "--no-auth"], capture_output=True,
                             text=True, timeout=60)
    unknown = subprocess.run([*base, "pengiuns@production"], capture_output=True, text=True,
                             timeout=60)
    assert exposed.returncode == 2 and "--no-auth is allowed only on a loopback host" in \
        exposed.stderr
    assert unknown.returncode == 4 and "pengiuns" in unknown.stderr
    assert "Traceback" not in exposed.stderr + unknown.stderr


def test_predictions_are_independent_of_column_order(server: Server) -> None:
    frame = penguin_frame(10, seed=2)
    shuffled = frame[["sex", "island", "flipper_length_mm", "bill_length_mm"]]
    with server.client() as client:
        a = client.post("/v1/models/penguins/predict", json={"instances": records(frame)})
        b = client.post("/v1/models/penguins/predict", json={"instances": records(shuffled)})
    assert a.json()["predictions"] == b.json()["predictions"]
    assert isinstance(pd.DataFrame(a.json()["probabilities"]), pd.DataFrame)
