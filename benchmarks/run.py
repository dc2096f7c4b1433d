"""The benchmark: our two adapters, raw pymilvus, the two peer integrations and Milvus Lite's own Python API (the
engine's ceiling, no pymilvus), on the same data, in one run.

    python benchmarks/run.py --n 5000            # peers included (their venvs are made under .bench/ once)
    python benchmarks/run.py --n 50000 --skip-peers --repeat 1

Each contender runs in its own process (the peers in their own venvs: their pymilvus pins conflict), `--repeat`
times, the contenders taking turns (A B C ... A B C ...) so that a slow spell of the machine hits every contender
alike. Each figure is the median over the trials (recall: the lowest, peak RSS: the highest). Prints ingest docs/s,
search p50/p95 with and without a metadata filter, recall@10 against exact search, peak RSS, the import time of
milvus_integrations, the spread of the ingest trials, and ratios of the medians against each peer, raw pymilvus
and the engine. Writes .bench/results-N.json (every trial's figures included).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / ".bench"
HERE = Path(__file__).resolve().parent
OURS_PY = sys.executable
PEERS = {
    "peer-llamaindex": (
        "venv-llamaindex-peer",
        ["llama-index-vector-stores-milvus==1.2.0", "pymilvus>=2.6,<3", "milvus-lite==3.2.2"],
    ),
    "peer-langchain": ("venv-langchain-peer", ["langchain-milvus==0.4.0", "pymilvus>=3", "milvus-lite==3.2.2"]),
}
ORDER = [
    "ours-langchain",
    "ours-llamaindex",
    "raw-pymilvus",
    "raw-pymilvus-flushed",
    "peer-llamaindex",
    "peer-langchain",
    "lite-engine",
]
FILTER_YEAR = 2010


def make_data(n: int, dim: int = 384, queries: int = 100, seed: int = 42) -> Path:
    path = BENCH / f"data-{n}.npz"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(64, dim))
    vectors = centers[rng.integers(0, 64, n)] + 0.6 * rng.normal(size=(n, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    picks = rng.integers(0, n, queries)
    q = vectors[picks] + 0.3 * rng.normal(size=(queries, dim))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    years = 1990 + np.arange(n) % 35
    BENCH.mkdir(exist_ok=True)
    np.savez(path, vectors=vectors.astype(np.float32), queries=q.astype(np.float32), years=years)
    return path


def exact(path: Path, k: int = 10) -> tuple[list[set[str]], list[set[str]]]:
    z = np.load(path)
    sims = z["queries"] @ z["vectors"].T
    plain = [set(f"id{i}" for i in np.argsort(-row)[:k]) for row in sims]
    mask = z["years"] >= FILTER_YEAR
    sims[:, ~mask] = -np.inf
    filtered = [set(f"id{i}" for i in np.argsort(-row)[:k]) for row in sims]
    return plain, filtered


def peer_python(name: str) -> str:
    venv, packages = PEERS[name]
    py = BENCH / venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH / venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *packages], check=True)
    return str(py)


def run_contender(name: str, data: Path) -> dict[str, Any]:
    out = BENCH / f"out-{name}.json"
    out.unlink(missing_ok=True)
    python = peer_python(name) if name in PEERS else OURS_PY
    env = {**os.environ, "PYTHONPATH": "" if name in PEERS else str(ROOT)}
    proc = subprocess.run(
        [python, str(HERE / "contenders.py"), name, str(data), str(out)], capture_output=True, text=True, env=env
    )
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def figures(r: dict[str, Any], n: int, truth: list[set[str]], truth_filtered: list[set[str]]) -> dict[str, Any]:
    """One trial's figures from a contender's raw output."""
    return {
        "ingest_docs_s": n / r["ingest_s"],
        "first_query_ms": r["first_query_ms"],
        "p50_ms": float(np.percentile(r["search_ms"], 50)),
        "p95_ms": float(np.percentile(r["search_ms"], 95)),
        "p50_filtered_ms": float(np.percentile(r["search_filtered_ms"], 50)),
        "p95_filtered_ms": float(np.percentile(r["search_filtered_ms"], 95)),
        "p50_settled_ms": float(np.percentile(r["search_settled_ms"], 50)),
        "recall@10": recall(r["ids"], truth),
        "recall@10_filtered": recall(r["ids_filtered"], truth_filtered),
        "peak_rss_mb": r["peak_rss_mb"],
    }


def summarize(trials: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the trials; recall is the lowest trial's, peak RSS the highest's."""
    summary: dict[str, Any] = {}
    for key in trials[0]:
        values = [t[key] for t in trials]
        if key.startswith("recall"):
            summary[key] = min(values)
        elif key == "peak_rss_mb":
            summary[key] = max(values)
        else:
            summary[key] = float(np.median(values))
    summary["trials"] = trials
    return summary


def recall(found: list[list[str]], truth: list[set[str]]) -> float:
    return float(np.mean([len(set(f) & t) / len(t) for f, t in zip(found, truth, strict=True)]))


def import_time() -> tuple[float, bool]:
    code = (
        "import time,sys; t=time.perf_counter(); import milvus_integrations; d=time.perf_counter()-t; "
        "print(d, any(m.startswith(('langchain','llama_index')) for m in sys.modules))"
    )
    out = subprocess.run(
        [OURS_PY, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    seconds, leaked = out.stdout.split()
    return float(seconds), leaked == "True"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--only", nargs="*", help="run only these contenders")
    ap.add_argument("--repeat", type=int, default=3, help="trials per contender, taken in turns (default 3)")
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    data = make_data(args.n)
    truth, truth_filtered = exact(data)
    names = args.only or [n for n in ORDER if not (args.skip_peers and n in PEERS)]
    trials: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    errors: dict[str, dict[str, Any]] = {}
    for trial in range(args.repeat):
        for name in names:
            if name in errors:
                continue
            print(f"trial {trial + 1}/{args.repeat}: {name} ...", file=sys.stderr, flush=True)
            r = run_contender(name, data)
            if "error" in r:
                errors[name] = r
            else:
                trials[name].append(figures(r, args.n, truth, truth_filtered))
    rows = {name: errors.get(name) or summarize(trials[name]) for name in names}
    seconds, leaked = import_time()
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "n": args.n,
        "repeat": args.repeat,
        "import_milvus_integrations_s": seconds,
        "import_pulls_frameworks": leaked,
        "results": rows,
    }
    (BENCH / f"results-{args.n}.json").write_text(json.dumps(report, indent=2))
    print_table(report)


def print_table(report: dict[str, Any]) -> None:
    rows = report["results"]
    print(
        f"\n{report['n']} docs x 384 d, 100 queries, top-10; {report['machine']}; {report['date']}; "
        f"median of {report['repeat']} trial(s) each"
    )
    cols = [("ingest/s", 10), ("1st q ms", 9), ("p50 ms", 9), ("p95 ms", 9), ("p50 flt", 9), ("p95 flt", 9)]
    cols += [("recall", 8), ("rec flt", 8), ("RSS MB", 8), ("p50 5s", 8)]
    print(f"{'contender':<22}" + "".join(f"{c:>{w}}" for c, w in cols))
    for name, r in rows.items():
        if "error" in r:
            print(f"{name:<22}not run: {r['error']}")
            continue
        print(
            f"{name:<22}{r['ingest_docs_s']:>10.0f}{r['first_query_ms']:>9.0f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['p50_filtered_ms']:>9.1f}"
            f"{r['p95_filtered_ms']:>9.1f}{r['recall@10']:>8.3f}{r['recall@10_filtered']:>8.3f}{r['peak_rss_mb']:>8.0f}"
            f"{r['p50_settled_ms']:>8.1f}"
        )
    print("\ningest docs/s of each trial:")
    for name, r in rows.items():
        if "error" not in r:
            print(f"  {name:<22}" + ", ".join(f"{t['ingest_docs_s']:.0f}" for t in r["trials"]))
    print(
        f"\nimport milvus_integrations: {report['import_milvus_integrations_s'] * 1000:.0f} ms; "
        f"pulls in langchain/llama_index: {report['import_pulls_frameworks']}"
    )
    ours = [n for n in rows if n.startswith("ours") and "error" not in rows[n]]
    others = [n for n in rows if not n.startswith("ours") and "error" not in rows[n]]
    for o in ours:
        for other in others:
            a, b = rows[o], rows[other]
            ingest = a["ingest_docs_s"] / b["ingest_docs_s"]
            plain = b["p50_ms"] / a["p50_ms"]
            filtered = b["p50_filtered_ms"] / a["p50_filtered_ms"]
            settled = b["p50_settled_ms"] / a["p50_settled_ms"]
            print(
                f"{o} vs {other}: ingest x{ingest:.2f}, search x{plain:.1f} faster, filtered x{filtered:.1f} faster, "
                f"settled x{settled:.1f} faster"
            )


if __name__ == "__main__":
    main()
