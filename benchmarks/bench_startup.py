"""Start-up of the command line: ``spatial-poverty --help`` and ``spatial-poverty validate`` on the shipped
pipelines, whole process, wall-clock, median of ``--repeats`` runs, with and without ``PYTHONDONTWRITEBYTECODE``.

Run: ``.venv/bin/python benchmarks/bench_startup.py [--repeats 7]``. The install compiles bytecode (Makefile:
``UV_COMPILE_BYTECODE=1`` and ``compileall src``), so both settings should read the same .pyc files; a large gap
between them means the bytecode is missing. Prints one JSON document; the figures are in the issue's note.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXE = ROOT / ".venv" / "bin" / "spatial-poverty"


def _median_wall(args: list[str], env: dict[str, str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([str(EXE), *args], env=env, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    out: dict[str, float] = {}
    for label, flag in (("bytecode_writable", None), ("dontwritebytecode", "1")):
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        if flag:
            env["PYTHONDONTWRITEBYTECODE"] = flag
        out[f"help_{label}_s"] = _median_wall(["--help"], env, args.repeats)
        for name in ("south_aegean", "central_macedonia", "greece"):
            cmd = ["validate", f"pipelines/{name}.yaml", "--quiet"]
            out[f"validate_{name}_{label}_s"] = _median_wall(cmd, env, args.repeats)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
