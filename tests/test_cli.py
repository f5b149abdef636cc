"""The command line: exit codes, messages, --dry-run and --force, as a scheduler sees them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import ROOT, pipeline_copy, run_cli


def test_validate_good_and_bad(tmp_path):
    ok = run_cli("validate", str(ROOT / "pipelines" / "south_aegean.yaml"))
    assert ok.returncode == 0 and "valid pipeline 'south_aegean'" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntitle: t\nseed: 1\nweights:\n  islands: knn\n", encoding="utf-8")
    proc = run_cli("validate", str(bad))
    assert proc.returncode == 3
    assert "unknown key 'weights.islands'; allowed here: contiguity, island_policy, k" in proc.stderr


def test_validate_lists_the_variables_a_run_makes_and_refuses_a_rate_without_counts(raw_dir, tmp_path):
    """Issue 15: a statistics variable the pipeline does not make is refused (exit 3) with the names it makes and
    the stage of each; a rate of counts asked for without its counts is refused with the reason."""
    cfg = pipeline_copy("greece", raw_dir, tmp_path / "processed", tmp_path)
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace("variables: [deprivation_index,", "variables: [e2sfca, deprivation_index,"))
    proc = run_cli("validate", str(cfg))
    assert proc.returncode == 3, proc.stderr
    assert "unknown statistics variable(s) ['e2sfca']; this pipeline makes: pop_change_pct (indicators)" in proc.stderr
    assert "deprivation_index (index)" in proc.stderr and "unemp_2001 (harmonise)" in proc.stderr
    cfg.write_text(text.replace("  variables: [", "  rates: [unemp_2001]\n  variables: ["), encoding="utf-8")
    proc = run_cli("validate", str(cfg))
    assert proc.returncode == 3, proc.stderr
    assert "statistics.rates ['unemp_2001'] cannot be analysed as rates: unemp_2001: a percentage published " in (
        proc.stderr
    )
    assert "without its counts" in proc.stderr


def test_validate_checks_the_targets_file(tmp_path):
    targets = (ROOT / "pipelines" / "targets" / "south_aegean.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "targets.yaml"
    bad.write_text(targets.replace("indicator: arope", "indicator: aroppe", 1), encoding="utf-8")
    cfg = pipeline_copy("south_aegean", tmp_path, tmp_path, tmp_path)
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace(f"{ROOT / 'pipelines' / 'targets' / 'south_aegean.yaml'}", str(bad)),
        encoding="utf-8",
    )
    proc = run_cli("validate", str(cfg))
    assert proc.returncode == 3, proc.stderr
    assert f"{bad}" in proc.stderr and "aroppe" in proc.stderr


#: What start-up must not pay for: a validation reads YAML and the catalogue, nothing numerical or graphical.
HEAVY = (
    "numpy",
    "pandas",
    "scipy",
    "libpysal",
    "esda",
    "geopandas",
    "matplotlib",
    "sklearn",
    "numba",
    "folium",
    "shapely",
)


@pytest.mark.parametrize("name", ["south_aegean", "central_macedonia", "greece"])
def test_validate_imports_no_numerical_or_graphical_library(name):
    """The start-up budget of issue 16 (--help and validate under 1.5 s, benchmarks/bench_startup.py) rests on
    lazy imports: validating a shipped pipeline loads none of the numerical or graphical libraries. The timing
    itself is a benchmark, not a test."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        f"sys.argv = ['spatial-poverty', 'validate', 'pipelines/{name}.yaml', '--quiet']\n"
        "from spatial_poverty.cli.main import app\n"
        "try:\n    app()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout


@pytest.mark.parametrize(
    ("section", "write", "expected"),
    [
        ("weights", None, "weights.links_file: {path} does not exist; expected a file"),
        ("weights", "from,to\n9101,9102\n", "weights.links_file: {path}: column(s) ['code_from', 'code_to'] missing"),
        ("access", "a,b,c\n", "access.ferry_links: {path}: column(s) ['port_a', 'port_b', 'sailings_per_week', "
         "'season'] missing"),
    ],
)  # fmt: skip
def test_validate_checks_every_file_the_config_names(raw_dir, tmp_path, section, write, expected):
    """Issue 16: ``validate`` (and ``run --dry-run``) check the files the configuration names itself, with the
    key, the path and what was expected; exit 3 (configuration)."""
    links = tmp_path / "links.csv"
    if write is not None:
        links.write_text(write, encoding="utf-8")
    replace = (
        {"island_policy: knn": f"island_policy: links\n  links_file: {links}"}
        if section == "weights"
        else {"access:\n": f"access:\n  ferry_links: {links}\n"}
    )
    cfg = pipeline_copy("south_aegean", raw_dir, tmp_path / "processed", tmp_path, **replace)
    assert str(links) in cfg.read_text(encoding="utf-8")
    for args in (("validate", str(cfg)), ("run", str(cfg), "--dry-run")):
        proc = run_cli(*args)
        assert proc.returncode == 3, proc.stderr
        assert expected.format(path=links) in " ".join(proc.stderr.split()), proc.stderr
    assert not (tmp_path / "processed").exists()


def test_usage_error_is_exit_2():
    assert run_cli("run").returncode == 2


def test_missing_input_data_is_exit_4(tmp_path):
    cfg = pipeline_copy("south_aegean", tmp_path / "empty_raw", tmp_path / "processed", tmp_path)
    proc = run_cli("run", str(cfg))
    assert proc.returncode == 4, proc.stderr
    assert "DHMOI_2021.zip (source elstat_2021_municipalities) is missing" in proc.stderr
    assert not (tmp_path / "processed" / "south_aegean").exists()
    assert "Traceback" not in proc.stderr


def test_dry_run_checks_inputs_and_writes_nothing(raw_dir, tmp_path):
    cfg = pipeline_copy("south_aegean", raw_dir, tmp_path / "processed", tmp_path)
    proc = run_cli("run", str(cfg), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "inputs are present and verified" in proc.stdout and "999 permutations, seed 20211" in proc.stdout
    assert not (tmp_path / "processed").exists()


def test_existing_output_needs_force_and_a_failed_run_keeps_it(raw_dir, south_aegean_run, tmp_path):
    processed = south_aegean_run.parent
    cfg = pipeline_copy("south_aegean", raw_dir, processed, tmp_path)
    before = json.loads((south_aegean_run / "manifest.json").read_text(encoding="utf-8"))
    proc = run_cli("run", str(cfg))
    assert proc.returncode == 6 and "--force" in proc.stderr
    # A run that fails half-way (a statistic refuses the data) publishes nothing, even with --force.
    failing = pipeline_copy(
        "south_aegean", raw_dir, processed, tmp_path, **{"island_policy: knn": "island_policy: none"}
    )
    proc = run_cli("run", str(failing), "--force")
    assert proc.returncode == 7, proc.stderr
    assert "needs every unit to have a neighbour" in proc.stderr
    after = json.loads((south_aegean_run / "manifest.json").read_text(encoding="utf-8"))
    assert after["run_id"] == before["run_id"]
    assert sorted(p.name for p in processed.iterdir()) == ["south_aegean"]  # no staging folder left


@pytest.mark.parametrize("args", [("data", "sync", "--catalogue", "nowhere.yaml")])
def test_data_sync_bad_catalogue_is_exit_3(args, tmp_path: Path):
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 3 and "does not exist" in proc.stderr


def test_data_sync_finds_the_bundle_beside_the_project(bundle: Path, tmp_path: Path, monkeypatch):
    """``make run`` calls ``data sync`` with no --from: the bundle is ``../shared/data`` beside the project root."""
    import os
    import shutil

    project = tmp_path / "project"
    (project / "data" / "raw").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "raw" / "catalogue.yaml", project / "data" / "raw" / "catalogue.yaml")
    (tmp_path / "shared").mkdir()
    os.symlink(bundle, tmp_path / "shared" / "data")
    monkeypatch.delenv("SPATIAL_POVERTY_BUNDLE", raising=False)
    proc = run_cli("data", "sync", "--only", "eurostat_arope_greece_national", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert f"data sync from {tmp_path / 'shared' / 'data'}" in proc.stdout.replace("\n", "")
    copied = list((project / "data" / "raw").rglob("*"))
    assert any(p.is_file() and p.name != "catalogue.yaml" for p in copied)


def test_validate_expects_the_headers_the_readers_read():
    """``validate`` checks the named files' headers without importing their readers: the same columns."""
    import inspect

    from spatial_poverty.access.travel import FERRY_LINK_COLUMNS
    from spatial_poverty.pipeline import planning
    from spatial_poverty.stats.weights import read_links

    assert planning.FERRY_LINK_COLUMNS == FERRY_LINK_COLUMNS
    assert all(f'"{c}"' in inspect.getsource(read_links) for c in planning.LINK_COLUMNS)
