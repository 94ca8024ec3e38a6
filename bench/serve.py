"""Serving predictions: ``sparkgrove serve`` (in-process ``TreeModel``, no JVM) against MLlib's
warm one-row ``transform`` of the same model, and onnxruntime on its ONNX export; in one run,
alternating the peers over rounds; prints medians and ratios.

The model is the MLlib engine's random forest with MLlib's defaults (20 trees, depth 5) on the
Palmer penguins table (palmerpenguins package, CC0), trained with ``sparkgrove train --engine
spark --algorithm forest``; the server serves the ``TreeModel`` converted from it, and MLlib
transforms with the saved ``PipelineModel`` itself.

Per round:

* single-row requests, open loop at ``--rate`` requests/s over keep-alive connections (latency
  measured from when each request was due): p50 and p99;
* single-row requests, closed loop on ``--connections`` connections: requests per second;
* a ``--batch``-row request (columns), several times: median time;
* MLlib: ``PipelineModel.transform`` of a cached one-row frame plus ``collect`` (warm session);
* onnxruntime: ``InferenceSession.run`` of one row on the exported model; and the ``TreeModel``
  in-process (``predict_proba`` of one row), for scale.

The load generator (bench/loadgen.py) shares the machine's two cores with the server.

Run: ``.venv/bin/python bench/serve.py [--rounds 5 --rate 1000 --seconds 3]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.loadgen import run_load


def _penguins(folder: Path, copies: int) -> None:
    from palmerpenguins import load_penguins

    frame = load_penguins().drop(columns=["year"])
    folder.mkdir(parents=True)
    frame = frame.loc[frame.index.repeat(copies)].reset_index(drop=True)
    frame.to_csv(folder / "penguins.csv", index=False)


def _exe() -> str:
    return str(Path(sys.executable).parent / "sparkgrove")


def _start(ws: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([_exe(), "--workspace", str(ws), "serve", "penguins", "--port",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def _post(port: int, path: str, body: bytes, token: str) -> float:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request) as answer:
        answer.read()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=18089)
    args = parser.parse_args()

    import onnxruntime as ort

    from sparkgrove.export import export_model
    from sparkgrove.settings import load_settings
    from sparkgrove.spark import read_table
    from sparkgrove.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ws_dir = base / "ws"
        _penguins(base / "raw" / "penguins", copies=1)
        for argv in (["crawl", str(base / "raw" / "penguins"), "-d", "bench"],
                     ["train", "bench.penguins", "--label", "species", "--engine", "spark",
                      "--algorithm", "forest", "--model", "penguins"]):
            subprocess.run([_exe(), "--workspace", str(ws_dir), "--master", "local[2]", *argv],
                           check=True, capture_output=True)
        ws = Workspace(load_settings(workspace=ws_dir, spark_master="local[2]", environ={}))
        version = ws.registry.get("penguins")
        model = ws.registry.load_tree_model(version)
        print(f"model: {version.ref}, {len(model.trees)} trees, "
              f"{sum(t.n_nodes for t in model.trees)} nodes, features {model.feature_names}")

        # MLlib: the saved pipeline, warm, on a cached one-row frame
        from pyspark.ml import PipelineModel

        spark = ws.spark
        spark.conf.set("spark.sql.shuffle.partitions", "2")
        pipeline = PipelineModel.load(str(ws.registry.mllib_path(version)))
        table = ws.catalog.table("bench.penguins")
        one = read_table(spark, ws.catalog, table).frame.dropna().limit(1).cache()
        one.count()
        for _ in range(10):
            pipeline.transform(one).collect()
        row = {k: (None if v != v else v) for k, v in one.toPandas().iloc[0].to_dict().items()
               if k in model.feature_names}
        row = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}

        # onnxruntime and the in-process TreeModel, one row
        session = ort.InferenceSession(export_model(model, "onnx"),
                                       providers=["CPUExecutionProvider"])
        feeds = {f.name: (np.array([[str(row[f.name])]], dtype=object) if f.kind ==
                          "categorical" else np.array([[float(row[f.name])]]))
                 for f in model.features}
        one_frame = {k: [v] for k, v in row.items()}

        rng = np.random.default_rng(0)
        sample = [row] * args.batch
        columns: dict[str, list[Any]] = {k: [r[k] for r in sample] for k in row}
        for name in ("bill_length_mm", "flipper_length_mm"):
            if name in columns:
                columns[name] = (np.asarray(columns[name], dtype=float)
                                 + rng.normal(0, 3, args.batch)).round(1).tolist()
        batch_body = json.dumps({"columns": columns}).encode()
        single_body = json.dumps({"instances": [row]}).encode()

        proc = _start(ws_dir, args.port)
        token = (ws_dir / "serve" / "token").read_text().strip()
        path = "/v1/models/penguins/predict"
        results: dict[str, list[float]] = {k: [] for k in (
            "p50_ms", "p99_ms", "open_rps", "closed_rps", "closed_p99_ms", "batch_ms",
            "mllib_ms", "onnx_us", "treemodel_us", "failed")}
        try:
            for _ in range(3):
                _post(args.port, path, batch_body, token)  # warm
            for round_ in range(args.rounds):
                opened = run_load("127.0.0.1", args.port, path, single_body, token,
                                  seconds=args.seconds, connections=args.connections,
                                  rate=args.rate)
                results["p50_ms"].append(opened.pct(50))
                results["p99_ms"].append(opened.pct(99))
                results["open_rps"].append(opened.rps)
                closed = run_load("127.0.0.1", args.port, path, single_body, token,
                                  seconds=args.seconds, connections=args.connections)
                results["closed_rps"].append(closed.rps)
                results["closed_p99_ms"].append(closed.pct(99))
                results["failed"].append(opened.failed + closed.failed)
                results["batch_ms"].extend(_post(args.port, path, batch_body, token) * 1000
                                           for _ in range(5))
                for _ in range(10):
                    start = time.perf_counter()
                    pipeline.transform(one).collect()
                    results["mllib_ms"].append((time.perf_counter() - start) * 1000)
                for _ in range(500):
                    start = time.perf_counter()
                    session.run(None, feeds)
                    results["onnx_us"].append((time.perf_counter() - start) * 1e6)
                for _ in range(500):
                    start = time.perf_counter()
                    model.predict_proba(one_frame)
                    results["treemodel_us"].append((time.perf_counter() - start) * 1e6)
                print(f"round {round_ + 1}: p99 {opened.pct(99):.2f} ms at {opened.rps:.0f}/s, "
                      f"closed loop {closed.rps:.0f}/s", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            ws.close()
        med = {k: statistics.median(v) for k, v in results.items()}
        print()
        print(f"single row, open loop at {args.rate:.0f}/s: p50 {med['p50_ms']:.3f} ms, "
              f"p99 {med['p99_ms']:.3f} ms (floor: p99 < 2 ms)")
        print(f"single row, closed loop, {args.connections} connections: "
              f"{med['closed_rps']:.0f} requests/s, p99 {med['closed_p99_ms']:.2f} ms "
              "(floor: >= 5,000/s)")
        print(f"{args.batch}-row batch: {med['batch_ms']:.1f} ms (floor: < 20 ms)")
        print(f"MLlib one-row transform+collect (warm): {med['mllib_ms']:.1f} ms; "
              f"served single row p50 {med['p50_ms']:.3f} ms: "
              f"{med['mllib_ms'] / med['p50_ms']:.0f}x faster (floor: 50x)")
        print(f"in-process, one row: onnxruntime {med['onnx_us']:.1f} us, "
              f"TreeModel.predict_proba {med['treemodel_us']:.1f} us")
        print(f"failed requests: {int(sum(results['failed']))}")


if __name__ == "__main__":
    main()
