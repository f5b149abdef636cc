"""Issue 19: the pipeline as declared stages, its content-addressed cache, partial runs, run history and diff.

Unit tests use fixtures built here (labelled as such); the runs use the real bundle (South Aegean, and the lean
South Aegean pipeline of conftest for the faster checks).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from spatial_poverty.errors import ConfigError, DataSourceError, ExportError
from spatial_poverty.pipeline import load_config, run_pipeline
from spatial_poverty.pipeline.cache import StageCache, stage_key
from spatial_poverty.pipeline.graph import downstream, partial_selection, stage_order, upstream
from spatial_poverty.pipeline.history import compare, diff_lines, find_records, load_history
from spatial_poverty.pipeline.stage import Stage, config_value
from spatial_poverty.pipeline.stages import STAGES

from .conftest import pipeline_copy, run_cli

#: Files that record the run itself (its id, its times, its log): they differ between any two runs.
RUN_OWN = ("manifest.json", "run.log", "report.html")


def _shas(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in RUN_OWN and "history" not in p.parts
    }


def _statuses(manifest: dict) -> dict[str, str]:
    return {name: s["status"] for name, s in manifest["stages"].items()}


# ------------------------------------------------------------------------------------------------- declarations


def test_every_stage_declares_what_it_reads_and_needs_registered_stages():
    names = [s.name for s in STAGES]
    assert len(names) == len(set(names))
    for stage in STAGES:
        assert set(stage.needs) <= set(names), stage.name
        assert stage.config or not stage.cached, stage.name  # a cached stage keys on its configuration
    assert {"ingest", "harmonise", "indicators", "weights", "statistics", "index", "access", "export", "maps",
            "report", "targets"} <= set(names)  # fmt: skip


def test_order_follows_the_declarations(raw_dir, tmp_path):
    cfg = load_config(pipeline_copy("south_aegean", raw_dir, tmp_path / "processed", tmp_path))
    order = [s.name for s in stage_order(STAGES, cfg)]
    for stage in STAGES:
        for need in stage.needs:
            if stage.name in order and need in order:
                assert order.index(need) < order.index(stage.name), (need, stage.name)
    assert "regions" not in order  # not configured
    (tmp_path / "lean").mkdir()
    lean = load_config(pipeline_copy("south_aegean", raw_dir, tmp_path / "p2", tmp_path / "lean", lean=True))
    assert {"index", "access", "targets"}.isdisjoint(s.name for s in stage_order(STAGES, lean))


def test_a_circle_or_an_unknown_need_is_refused(raw_dir, tmp_path):
    """Fixture stages built here: a -> b -> a, and a stage needing one that does not exist."""
    cfg = load_config(pipeline_copy("south_aegean", raw_dir, tmp_path / "processed", tmp_path, lean=True))

    def run(ctx):
        return {}

    a = Stage("a", run, str, needs=("b",))
    b = Stage("b", run, str, needs=("a",))
    with pytest.raises(ConfigError, match="need each other"):
        stage_order([a, b], cfg)
    with pytest.raises(ConfigError, match="unregistered stage"):
        stage_order([Stage("c", run, str, needs=("nowhere",))], cfg)


def test_partial_selection(raw_dir, tmp_path):
    cfg = load_config(pipeline_copy("south_aegean", raw_dir, tmp_path / "processed", tmp_path))
    order = stage_order(STAGES, cfg)
    selected, needed = partial_selection(order, only=["statistics"])
    assert selected == {"statistics"}
    assert needed == {"ingest", "indicators", "harmonise", "weights", "index", "access"}
    selected, needed = partial_selection(order, start="maps")
    assert selected == {"maps", "report"} and "export" in needed
    assert downstream(order, ["map"]) == set() and "weights" in upstream(order, ["export"])
    with pytest.raises(ConfigError, match=r"no stage \[.stats.\].*ingest, indicators"):
        partial_selection(order, only=["stats"])


def test_config_value_reads_dotted_keys(raw_dir, tmp_path):
    cfg = load_config(pipeline_copy("south_aegean", raw_dir, tmp_path / "processed", tmp_path))
    assert config_value(cfg, "map.simplify_m") == 50
    assert config_value(cfg, "statistics")["alpha"] == 0.05
    assert config_value(cfg, "regions") is None


# ---------------------------------------------------------------------------------------------------- the cache


def test_cache_stores_restores_and_refuses_a_damaged_entry(tmp_path):
    """A fixture stage output built here: one product and one file."""
    cache = StageCache(tmp_path / "cache", 10 * 2**20)
    staging = tmp_path / "staging"
    (staging / "figures").mkdir(parents=True)
    (staging / "figures" / "a.txt").write_text("αβγ", encoding="utf-8")
    key = stage_key({"stage": "x", "config": {"alpha": 0.05}})
    assert key != stage_key({"stage": "x", "config": {"alpha": 0.1}})
    assert cache.get("x", key) is None
    cache.put("x", key, {"table": {"a": 1}}, [staging / "figures" / "a.txt"], staging)
    entry = cache.get("x", key)
    assert entry is not None and entry.load("table") == {"a": 1}
    other = tmp_path / "other"
    assert entry.restore(other) == [other / "figures" / "a.txt"]
    assert (other / "figures" / "a.txt").read_text(encoding="utf-8") == "αβγ"
    (entry.folder / "files" / "figures" / "a.txt").write_text("tampered", encoding="utf-8")
    with pytest.raises(ExportError, match="missing or damaged"):
        entry.restore(tmp_path / "third")
    (entry.folder / "entry.json").unlink()  # an entry without its record is incomplete: ignored
    assert cache.get("x", key) is None


def test_cache_limit_and_clear_remove_only_entries(tmp_path):
    root = tmp_path / "cache"
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "big.bin").write_bytes(b"\0" * 300_000)
    filler = StageCache(root, 0)
    for i in range(3):
        filler.put("s", stage_key({"i": i}), {"p": i}, [staging / "big.bin"], staging)
    assert len(filler.entries()) == 3
    (root / "notes.txt").write_text("a file nobody's run made", encoding="utf-8")
    keep = StageCache(root, 400_000)
    assert keep.get("s", stage_key({"i": 0})) is not None  # used by this run: never removed
    removed = keep.prune()
    assert len(removed) == 2 and keep.size() <= 400_000 and keep.get("s", stage_key({"i": 0})) is not None
    n, size = keep.clear()
    assert n == 1 and size > 300_000 and keep.entries() == []
    assert (root / "notes.txt").read_text(encoding="utf-8") == "a file nobody's run made"


# -------------------------------------------------------------------------------------------------- the history


def _record(run_id: str, finished: str, seed: int, decile: dict, inputs: dict) -> dict:
    """A fixture history record built here (two municipalities)."""
    return {
        "run_id": run_id,
        "finished_at": finished,
        "seed": seed,
        "config": {"seed": seed, "map": {"simplify_m": 50}},
        "inputs": inputs,
        "outputs": {"a.gpkg": "1" if seed == 1 else "2"},
        "units": {
            "deprivation_index.decile": decile,
            "lisa_x.cluster": {"1": "High-High", "2": "not significant"},
            "names": {"1": "ΔΗΜΟΣ Α", "2": "ΔΗΜΟΣ Β"},
        },
    }


def test_compare_lists_changed_inputs_and_classes():
    a = _record("aaa1", "2026-01-01T00:00:00+00:00", 1, {"1": 1, "2": 5}, {"pop": "x", "old": "o"})
    b = _record("bbb2", "2026-02-01T00:00:00+00:00", 2, {"1": 2, "2": 5}, {"pop": "y", "new": "n"})
    d = compare(a, b)
    assert [i["id"] for i in d["inputs"]] == ["new", "old", "pop"]
    assert d["config_sections"] == ["seed"]
    assert d["classes"] == [
        {"code": "1", "name": "ΔΗΜΟΣ Α", "layer": "deprivation_index", "field": "decile", "before": 1, "after": 2}
    ]
    assert d["municipalities"] == 1 and d["outputs_changed"] == ["a.gpkg"]
    text = "\n".join(diff_lines(d))
    assert "seed: 1 -> 2" in text and "1 ΔΗΜΟΣ Α: deprivation_index index decile" in text
    assert find_records([a, b], []) == [a, b] and find_records([a, b], ["bbb", "aaa"]) == [b, a]
    with pytest.raises(DataSourceError, match="no run with id 'ccc'"):
        find_records([a, b], ["ccc", "aaa"])
    with pytest.raises(DataSourceError, match="a comparison needs two"):
        find_records([a], [])


# ------------------------------------------------------------------------------------------------ real runs


@pytest.mark.slow
def test_rerun_reuses_every_stage_and_publishes_the_same_files(raw_dir, tmp_path):
    """South Aegean: a run without cache, an unchanged rerun from the cache (every stage reused, the report
    rewritten), byte-identical files; then a change of map: recomputes the map stage only."""
    cfg = load_config(pipeline_copy("south_aegean", raw_dir, tmp_path / "processed", tmp_path))
    first = run_pipeline(cfg, force=True, no_cache=True)
    assert set(_statuses(first.manifest).values()) == {"recomputed"}
    fresh = _shas(first.output_dir)
    again = run_pipeline(cfg, force=True)
    statuses = _statuses(again.manifest)
    assert statuses.pop("report") == "recomputed" and set(statuses.values()) == {"reused"}
    assert _shas(again.output_dir) == fresh  # every published file but the run's own record, byte for byte
    assert again.manifest["statistics"] == first.manifest["statistics"]
    assert again.global_moran["density"].I == first.global_moran["density"].I  # products read from the cache
    assert len(load_history(again.output_dir)) == 2
    d = compare(*load_history(again.output_dir))
    assert d["inputs"] == d["classes"] == d["outputs_changed"] == d["config_sections"] == []

    text = cfg.config_file.read_text(encoding="utf-8").replace("simplify_m: 50", "simplify_m: 80")
    cfg.config_file.write_text(text, encoding="utf-8")
    changed = run_pipeline(load_config(cfg.config_file), force=True)
    recomputed = {n for n, s in _statuses(changed.manifest).items() if s == "recomputed"}
    assert recomputed == {"map", "report"}
    now = _shas(changed.output_dir)
    assert {k for k in now if now[k] != fresh[k]} == {"map.html"} and set(now) == set(fresh)
    d = compare(*load_history(changed.output_dir)[-2:])
    assert d["config_sections"] == ["map"] and d["outputs_changed"] == ["map.html"] and d["classes"] == []


@pytest.mark.slow
def test_diff_and_report_list_the_municipalities_that_changed_class(raw_dir, tmp_path):
    """Two runs of the lean South Aegean pipeline, significance by p, with different seeds: the LISA clusters of
    borderline municipalities change; `spatial-poverty diff` and the report's section list the same ones."""
    processed = tmp_path / "processed"
    path = pipeline_copy("south_aegean", raw_dir, processed, tmp_path, lean=True)
    text = path.read_text(encoding="utf-8").replace("significance: q", "significance: p")
    path.write_text(text, encoding="utf-8")
    run_pipeline(load_config(path), force=True)
    path.write_text(re.sub(r"^seed: \d+", "seed: 7", text, flags=re.M), encoding="utf-8")
    second = run_pipeline(load_config(path), force=True)
    records = load_history(second.output_dir)
    assert len(records) == 2 and records[1]["run_id"] == second.manifest["run_id"]
    d = compare(*records)
    assert d["classes"], "a new seed moves some borderline municipality in or out of a cluster"
    assert d["config_sections"] == ["seed"] and d["inputs"] == []

    proc = run_cli("diff", "--pipeline", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "seed: 20211 -> 7" in proc.stdout
    for c in d["classes"]:
        assert f"{c['code']} {c['name']}: {c['layer']}" in proc.stdout
    proc = run_cli("diff", records[1]["run_id"][:8], records[0]["run_id"][:8], "--pipeline", str(path), "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["before"]["seed"] == 7

    page = (second.output_dir / "report.html").read_text(encoding="utf-8")
    section = page.split('<section id="changes">')[1].split("</section>")[0]
    assert f"<b>{d['municipalities']}</b>" in section
    for c in d["classes"]:
        assert c["name"] in section

    proc = run_cli("diff", "onlyone", "--pipeline", str(path))
    assert proc.returncode == 3 and "two run ids or none" in proc.stderr


@pytest.mark.slow
def test_partial_run_never_replaces_the_whole_output(raw_dir, tmp_path):
    processed = tmp_path / "processed"
    path = pipeline_copy("south_aegean", raw_dir, processed, tmp_path, lean=True)
    whole = run_pipeline(load_config(path), force=True)
    before = _shas(whole.output_dir)
    # A damaged product in the cache (a pickle cut short): the stage that made it is computed again, not trusted.
    harmonise = whole.manifest["stages"]["harmonise"]["key"]
    (damaged,) = (load_config(path).interim_dir / "cache" / "harmonise").glob(f"{harmonise}*/products/municipalities.*")
    damaged.write_bytes(damaged.read_bytes()[:100])
    proc = run_cli("run", str(path), "--only", "statistics", "--force")
    assert proc.returncode == 0, proc.stderr
    assert "partial output" in proc.stdout
    partial = processed / "south_aegean-partial"
    manifest = json.loads((partial / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["partial"] is True
    statuses = _statuses(manifest)
    assert statuses["statistics"] == "recomputed" and statuses["ingest"] == "reused"
    assert statuses["harmonise"] == "recomputed" and "unreadable" in (partial / "run.log").read_text(encoding="utf-8")
    assert statuses["export"] == statuses["report"] == "skipped"
    assert not (partial / "south_aegean.gpkg").exists() and not (partial / "history").exists()
    assert _shas(whole.output_dir) == before and len(load_history(whole.output_dir)) == 1

    proc = run_cli("run", str(path), "--from", "maps", "--force")
    assert proc.returncode == 0, proc.stderr
    page = (partial / "report.html").read_text(encoding="utf-8")
    assert 'id="partial-run"' in page
    proc = run_cli("run", str(path), "--only", "stats")
    assert proc.returncode == 3 and "no stage ['stats']" in proc.stderr

    proc = run_cli("cache", "clear", "--pipeline", str(path))
    assert proc.returncode == 0 and "entries removed" in proc.stdout
    assert StageCache(load_config(path).interim_dir / "cache", 0).entries() == []


@pytest.mark.slow
def test_a_new_stage_is_one_declaration(raw_dir, tmp_path, monkeypatch):
    """A stage made here (a fixture: it counts the municipalities) plugs in with its declaration and one registration:
    the runner orders it after what it needs, caches it, and its record reaches the GeoPackage and the manifest."""
    from spatial_poverty.export.metadata import MANIFEST_URI
    from spatial_poverty.pipeline import runner

    def count(ctx):
        m = ctx.product("harmonise", "municipalities")
        return {"record": {"municipalities": len(m), "largest": str(m["pop_2021"].idxmax())}}

    demo = Stage("demo", count, lambda cfg: "count the municipalities", config=("area",), needs=("harmonise",),
                 products=("record",))  # fmt: skip
    monkeypatch.setattr(runner, "STAGES", (*STAGES, demo))
    cfg = load_config(pipeline_copy("south_aegean", raw_dir, tmp_path / "processed", tmp_path, lean=True))
    result = run_pipeline(cfg, force=True)
    stages = list(result.manifest["stages"])
    assert stages.index("harmonise") < stages.index("demo") < stages.index("export")
    assert result.manifest["stages"]["demo"]["status"] == "recomputed"
    assert result.manifest["demo"] == {"municipalities": 34, "largest": "6901"}  # Rhodes
    import sqlite3

    with sqlite3.connect(result.output_dir / "south_aegean.gpkg") as con:
        (inside,) = con.execute(
            "SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = ?", (MANIFEST_URI,)
        ).fetchone()
    assert json.loads(inside)["demo"]["municipalities"] == 34
    again = run_pipeline(cfg, force=True)
    assert again.manifest["stages"]["demo"]["status"] == "reused" and again.manifest["demo"] == result.manifest["demo"]
