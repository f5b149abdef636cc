"""Safe publication: one run at a time (the lock), and a published output that survives SIGKILL at any moment.

The kill tests use a seeded schedule of kill times, so a failure is reproducible with the same seed.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from spatial_poverty.errors import RunLockedError
from spatial_poverty.export import lock_path, make_staging, publish, recover, run_lock, validate_geopackage

from .conftest import pipeline_copy, run_cli

# The module, not the function of the same name that the package exports.
publish_module = importlib.import_module("spatial_poverty.export.publish")

#: Seed of the kill schedules.
KILL_SEED = 20260611


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_published_output_valid(target: Path) -> dict:
    """The published folder is complete: the manifest parses, its checksums match, the GeoPackage validates."""
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    for out in manifest["outputs"]:
        if out["sha256"]:
            assert _sha(target / out["path"]) == out["sha256"], out["path"]
    validate_geopackage(target / f"{manifest['pipeline']}.gpkg", manifest["layers"])
    return manifest


# ------------------------------------------------------------------------------------------------------- the lock


def test_second_lock_is_refused_and_names_the_holder(tmp_path):
    target = tmp_path / "processed" / "run"
    with run_lock(target, pipeline="south_aegean") as path:
        assert path == lock_path(target) and path.exists()
        with pytest.raises(RunLockedError, match=rf"pipeline 'south_aegean' \(pid {os.getpid()} on"), run_lock(target):
            pass  # pragma: no cover
    assert not lock_path(target).exists()  # released and removed
    with run_lock(target):  # and free again
        pass


def test_lock_of_a_killed_process_is_released(tmp_path):
    """A run killed with SIGKILL leaves its lock file behind, but not the lock: the next run goes ahead."""
    target = tmp_path / "run"
    code = (
        "import sys, time\n"
        "from spatial_poverty.export import run_lock\n"
        f"with run_lock({str(target)!r}, pipeline='x'):\n"
        "    print('locked', flush=True)\n"
        "    time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(RunLockedError, match=f"pid {proc.pid}"), run_lock(target):
            pass  # pragma: no cover
    finally:
        proc.kill()
        proc.wait()
    assert lock_path(target).exists()
    with run_lock(target):
        pass


@pytest.mark.slow
def test_two_runs_started_together_one_refused_one_complete(raw_dir, tmp_path):
    """Two scheduled runs of the same pipeline at once: one publishes, the other exits 8 and changes nothing.

    99,999 permutations make the winner hold the lock for several seconds, far longer than the difference in
    start-up time of the two processes.
    """
    processed = tmp_path / "processed"
    cfg = pipeline_copy(
        "south_aegean", raw_dir, processed, tmp_path, lean=True, **{"permutations: 999": "permutations: 99999"}
    )
    exe = Path(sys.executable).parent / "spatial-poverty"
    procs = [
        subprocess.Popen([str(exe), "run", str(cfg), "--force"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=600), p.stderr.read().decode() if p.stderr else "") for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 8], results
    refused = next(err for code, err in results if code == 8)
    assert "RunLockedError, exit 8" in refused and "is being produced by run of pipeline 'south_aegean'" in refused
    manifest = assert_published_output_valid(processed / "south_aegean")
    assert manifest["config"]["statistics"]["permutations"] == 99999
    assert sorted(p.name for p in processed.iterdir()) == ["south_aegean"]  # no staging, no lock file left


# ------------------------------------------------------------------------------------------- killed publication


def _write_version(folder: Path, k: int) -> None:
    """A small two-file output whose files must agree (the kill test checks they do)."""
    data = (f"version {k}\n" * (2000 + k)).encode()
    (folder / "data.txt").write_bytes(data)
    (folder / "manifest.json").write_text(
        json.dumps(
            {"sha256": hashlib.sha256(data).hexdigest(), "k": k, "run_id": str(k), "outputs": [{"path": "data.txt"}]}
        )
    )


def _check_version(target: Path) -> int:
    manifest = json.loads((target / "manifest.json").read_text())
    assert _sha(target / "data.txt") == manifest["sha256"]
    return int(manifest["k"])


def _publish_forever(target: Path, k: int, ready: int) -> None:  # pragma: no cover - runs in a forked child
    while True:
        k += 1
        with run_lock(target):
            recover(target)
            staging = make_staging(target)
            _write_version(staging, k)
            publish(staging, target, force=True)
        if ready >= 0:  # tell the parent that one publication is done: the kill then lands amid the next ones
            os.write(ready, b"x")
            os.close(ready)
            ready = -1


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_publish_killed_at_random_moments_leaves_a_complete_output(tmp_path, monkeypatch, exchange):
    """A process publishing again and again is SIGKILLed 30 times at seeded random moments; after every kill the
    target (repaired by :func:`recover` under the lock, as the next run does) is one complete version."""
    if not exchange:  # the fallback for file systems without RENAME_EXCHANGE
        monkeypatch.setattr(publish_module, "_exchange", lambda a, b: False)
    target = tmp_path / "out"
    first = make_staging(target)
    _write_version(first, 0)
    publish(first, target, force=False)
    rng = np.random.default_rng(KILL_SEED)
    for i, delay in enumerate(rng.uniform(0.0, 0.2, size=30), 1):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            try:
                os.close(r)
                _publish_forever(target, i * 100_000, w)
            finally:
                os._exit(1)
        os.close(w)
        assert os.read(r, 1) == b"x"
        os.close(r)
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        with run_lock(target):
            recover(target)
            assert _check_version(target) // 100_000 == i  # complete, and one of the killed child's versions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.slow
def test_run_killed_at_random_moments_leaves_the_published_output_valid(raw_dir, tmp_path):
    """The South Aegean run, SIGKILLed 20 times at seeded random moments spread over a whole run: the published
    GeoPackage, map and manifest stay complete and valid after every kill, and the next run publishes."""
    from spatial_poverty.pipeline import load_config, run_pipeline

    processed = tmp_path / "processed"
    # The lean run (2021 data, weights, statistics, GeoPackage, map): the same staging and swap as the full one,
    # in a few seconds, so that 20 kills stay affordable.
    cfg = load_config(pipeline_copy("south_aegean", raw_dir, processed, tmp_path, lean=True))
    target = processed / "south_aegean"

    # Runs are forked from a fork server, not from this process: once numba's OpenMP threads have run here (the
    # engine's tests), a plain fork() is unsafe and the child is terminated (docs/permutation_engine.md).
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["spatial_poverty.pipeline"])

    def forked_run() -> multiprocessing.process.BaseProcess:
        proc = ctx.Process(target=run_pipeline, args=(cfg,), kwargs={"force": True})
        proc.start()
        return proc

    t0 = time.perf_counter()
    proc = forked_run()
    proc.join()
    assert proc.exitcode == 0
    duration = time.perf_counter() - t0
    first = assert_published_output_valid(target)

    rng = np.random.default_rng(KILL_SEED)
    for delay in rng.uniform(0.0, 1.1 * duration, size=20):
        proc = forked_run()
        time.sleep(delay)
        proc.kill()  # SIGKILL (nothing to do if the run has already ended)
        proc.join()
        manifest = assert_published_output_valid(target)
        assert manifest["statistics"] == first["statistics"]

    proc = forked_run()
    proc.join()
    assert proc.exitcode == 0
    assert_published_output_valid(target)
    assert sorted(p.name for p in processed.iterdir()) == ["south_aegean"]  # leftovers of killed runs cleaned


# ----------------------------------------------------------------------------------------------- reproducibility


@pytest.mark.slow
def test_identical_runs_write_identical_files(raw_dir, tmp_path):
    """Same inputs, config and seed: byte-identical GeoPackage and map (manifest.json and run.log record the run's
    own id and times, so they differ). Both runs recompute every stage (--no-cache); tests/test_stages.py compares
    a run from the cache with one without."""
    from spatial_poverty.pipeline import load_config, run_pipeline

    cfg = load_config(pipeline_copy("south_aegean", raw_dir, tmp_path / "processed", tmp_path))
    shas = []
    for _ in range(2):
        out = run_pipeline(cfg, force=True, no_cache=True).output_dir
        shas.append({name: _sha(out / name) for name in ("south_aegean.gpkg", "map.html")})
        time.sleep(1.1)  # a clock that leaked into a file would now show
    assert shas[0] == shas[1]


def test_cli_lists_exit_code_8():
    proc = run_cli("--help")
    assert proc.returncode == 0
    from spatial_poverty.cli.main import EXIT_CODES

    assert (RunLockedError, 8) in EXIT_CODES


def test_a_run_refused_before_the_holder_wrote_its_details_still_names_it(tmp_path):
    """The race the two-runs test once hit on CI: the holder has the lock but has not yet written who it is."""
    import fcntl
    import threading

    target = tmp_path / "out"
    path = lock_path(target)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a holder that has the lock and an empty file
    info = json.dumps({"pipeline": "south_aegean", "pid": 1, "host": "h", "since": "now"}).encode()
    writer = threading.Timer(0.1, lambda: os.pwrite(fd, info, 0))
    writer.start()
    try:
        expected = "is being produced by run of pipeline 'south_aegean'"
        with pytest.raises(RunLockedError, match=expected), run_lock(target):
            pass
    finally:
        writer.join()
        os.close(fd)
