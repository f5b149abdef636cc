"""The stage cache on the South Aegean pipeline (issue 19): a first run, an unchanged rerun, a rerun after changing
only ``map:``, all through the command line as a scheduler runs it (process start-up included).

Usage::

    .venv/bin/python benchmarks/bench_cache.py [--repeat 3] [--bundle ../shared/data]

Each repetition starts from an empty cache in a temporary folder (the bundle's files are copied there by
``data sync`` once). It prints the wall time of each run, the ratio rerun / first run, which stages each run
recomputed, and whether the rerun published byte-identical files (the run's own manifest, log, report and history
aside). Nothing in the project's ``data/`` is touched.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent / "spatial-poverty"
OWN = ("manifest.json", "run.log", "report.html")


def _shas(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in OWN and "history" not in p.parts
    }


def _run(pipeline: Path, *extra: str) -> float:
    """Wall time of one ``spatial-poverty run`` (process start-up included)."""
    t0 = time.perf_counter()
    proc = subprocess.run([str(EXE), "run", str(pipeline), "--force", "-q", *extra], capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({proc.returncode}): {proc.stderr}")
    return elapsed


def _pipeline(work: Path, raw: Path, simplify: int) -> Path:
    text = (ROOT / "pipelines" / "south_aegean.yaml").read_text(encoding="utf-8")
    text = text.replace("../data/raw/catalogue.yaml", str(ROOT / "data" / "raw" / "catalogue.yaml"))
    text = text.replace("../data/raw", str(raw)).replace("../data/processed", str(work / "processed"))
    text = text.replace("targets: targets/", f"targets: {ROOT / 'pipelines' / 'targets'}/")
    text = text.replace("simplify_m: 50", f"simplify_m: {simplify}")
    path = work / "south_aegean.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _recomputed(work: Path) -> list[str]:
    manifest = json.loads((work / "processed" / "south_aegean" / "manifest.json").read_text(encoding="utf-8"))
    return [n for n, s in manifest["stages"].items() if s["status"] == "recomputed"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--bundle", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_cache_") as tmp:
        raw = Path(tmp) / "raw"
        subprocess.run([str(EXE), "data", "sync", "--from", str(args.bundle), "--raw", str(raw), "-q",
                        "--catalogue", str(ROOT / "data" / "raw" / "catalogue.yaml")], check=True)  # fmt: skip
        rows = []
        for i in range(args.repeat):
            work = Path(tmp) / f"r{i}"
            work.mkdir()
            pipeline = _pipeline(work, raw, 50)
            first = _run(pipeline, "--no-cache")
            fresh = _shas(work / "processed" / "south_aegean")
            rerun = _run(pipeline)
            reused_identical = _shas(work / "processed" / "south_aegean") == fresh
            stages_rerun = _recomputed(work)
            _pipeline(work, raw, 80)
            map_change = _run(pipeline)
            stages_map = _recomputed(work)
            rows.append((first, rerun, map_change))
            print(f"repeat {i + 1}: first {first:.2f} s, unchanged rerun {rerun:.2f} s (ratio {rerun / first:.3f}; "
                  f"recomputed {stages_rerun}; byte-identical {reused_identical}), map: changed {map_change:.2f} s "
                  f"(recomputed {stages_map})", flush=True)  # fmt: skip
        med = [statistics.median(col) for col in zip(*rows, strict=True)]
        print(f"median of {args.repeat}: first {med[0]:.2f} s, unchanged rerun {med[1]:.2f} s "
              f"(ratio {med[1] / med[0]:.3f}), map: changed {med[2]:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
