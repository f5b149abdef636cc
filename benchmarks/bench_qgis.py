"""The QGIS provider's cost over the command line it runs: ``qgis_process run spatial_poverty:lisa`` against
``spatial-poverty stats lisa`` with the same arguments, on the South Aegean municipalities of the published run
(``make run``), whole process, wall-clock, median of ``--repeats`` runs.

Run: ``.venv/bin/python benchmarks/bench_qgis.py [--repeats 5]`` (needs Debian's ``qgis``: qgis_process; skipped
with a message without it). The plugin is built with ``make qgis-plugin`` and installed in a throwaway profile.
Prints one JSON document; the figures are in the issue's note.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXE = ROOT / ".venv" / "bin" / "spatial-poverty"
QGIS_PROCESS = "/usr/bin/qgis_process.bin"
GPKG = ROOT / "data" / "processed" / "south_aegean" / "south_aegean.gpkg"


def _median_wall(command: list[str], env: dict[str, str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    if not Path(QGIS_PROCESS).exists() or not GPKG.exists():
        print(f"skipped: needs {QGIS_PROCESS} (apt-get install qgis) and {GPKG} (make run)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        subprocess.run(["make", "-s", "qgis-plugin", f"PLUGIN_ZIP={d / 'p.zip'}"], cwd=ROOT, check=True)
        plugins = d / "config" / "profiles" / "default" / "python" / "plugins"
        plugins.mkdir(parents=True)
        zipfile.ZipFile(d / "p.zip").extractall(plugins)
        (d / "xdg").mkdir(mode=0o700)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(d / "xdg"),
               "QGIS_CUSTOM_CONFIG_PATH": str(d / "config"), "SPATIAL_POVERTY_CLI": str(EXE)}  # fmt: skip
        subprocess.run([QGIS_PROCESS, "plugins", "enable", "spatial_poverty_provider"], env=env, check=True,
                       capture_output=True)  # fmt: skip
        common = ["--island-policy", "knn", "--island-k", "3", "--seed", "2024"]
        cli = [str(EXE), "stats", "lisa", str(GPKG), "--layer", "municipalities", "--id", "code", "--var",
               "unemp_2001", *common, "--out", str(d / "cli.gpkg"), "--force", "--style"]  # fmt: skip
        qgis = [QGIS_PROCESS, "run", "spatial_poverty:lisa", f"--INPUT={GPKG}|layername=municipalities",
                "--ID_FIELD=code", "--FIELD=unemp_2001", "--SEED=2024", f"--OUTPUT={d / 'qgis.gpkg'}"]  # fmt: skip
        empty = [QGIS_PROCESS, "list"]
        out = {
            "repeats": args.repeats,
            "cli_lisa_s": _median_wall(cli, env, args.repeats),
            "qgis_process_lisa_s": _median_wall(qgis, env, args.repeats),
            "qgis_process_list_s": _median_wall(empty, env, args.repeats),
            "python": sys.version.split()[0],
        }
    out["overhead_s"] = out["qgis_process_lisa_s"] - out["cli_lisa_s"]
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}, indent=2))


if __name__ == "__main__":
    main()
