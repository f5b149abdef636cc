"""The observatory's registers (issue 20): reading, placing on the 2021 municipalities, rates, disclosure control,
trends, the import into data/raw, and the demonstration pipeline end to end.

Small files are written by the tests themselves (test fixtures, not data); the placement tests use the real
crosswalk built from the bundle.
"""

from __future__ import annotations

import csv
import hashlib
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from spatial_poverty.errors import ConfigError, IngestError
from spatial_poverty.registers.place import place_register
from spatial_poverty.registers.rates import published, register_rates
from spatial_poverty.registers.read import read_register_file
from spatial_poverty.registers.spec import RegisterColumns, RegisterSource
from spatial_poverty.registers.trends import register_trends
from tests.conftest import CATALOGUE, ROOT, demo_project, run_cli


def _reg(**kw: object) -> RegisterSource:
    base: dict[str, object] = {"title_el": "Δοκιμή", "title_en": "Test", "kind": "benefit_recipients", "source": "t"}
    base.update(kw)
    return RegisterSource.model_validate(base)


def _write(path: Path, rows: list[list[str]], *, encoding: str = "utf-8-sig", delimiter: str = ";") -> Path:
    text = "\r\n".join(delimiter.join(r) for r in rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


HEADER = ["code", "period", "count"]


# ------------------------------------------------------------------------------------------------- bad inputs
def test_wrong_encoding_names_the_setting(tmp_path: Path) -> None:
    f = _write(tmp_path / "r.csv", [HEADER, ["0101", "2024-01", "12"], ["0102", "2024-01", "Άνω"]], encoding="cp1253")
    with pytest.raises(IngestError, match=r"sources\.registers\.kea\.encoding: cp1253"):
        read_register_file(f, _reg(), name="kea")


def test_mixed_period_forms_are_refused_with_rows(tmp_path: Path) -> None:
    f = _write(tmp_path / "r.csv", [HEADER, ["0101", "2024-01", "12"], ["0102", "02/2024", "7"]])
    with pytest.raises(IngestError, match=r"2 forms \(YYYY-MM \(first at row 2.*MM/YYYY \(first at row 3"):
        read_register_file(f, _reg(), name="kea")


def test_counts_with_dot_thousands_are_whole_numbers_and_reported(tmp_path: Path) -> None:
    f = _write(tmp_path / "r.csv", [HEADER, ["0101", "2024-01", "1.234"], ["0102", "2024-01", "56"]])
    rows = read_register_file(f, _reg(), name="kea")
    assert rows.frame["count"].tolist() == [1234, 56]
    assert any("'.' thousands" in x.check and "1 cell" in x.detail for x in rows.findings)
    bad = _write(tmp_path / "b.csv", [HEADER, ["0101", "2024-01", "12,5"]])
    with pytest.raises(IngestError, match=r"row 2, column 'count'.*'12,5'"):
        read_register_file(bad, _reg(), name="kea")


def test_negative_count_names_row_column_value(tmp_path: Path) -> None:
    f = _write(tmp_path / "r.csv", [HEADER, ["0101", "2024-01", "12"], ["0102", "2024-01", "-3"]])
    with pytest.raises(IngestError, match=r"r\.csv, row 3, column 'count': '-3' is negative"):
        read_register_file(f, _reg(), name="kea")


def test_repeated_rows_counted_once_conflicting_rows_refused(tmp_path: Path) -> None:
    f = _write(
        tmp_path / "r.csv", [HEADER, ["0101", "2024-01", "12"], ["0101", "2024-01", "12"], ["0102", "2024-01", "<5"]]
    )
    rows = read_register_file(f, _reg(), name="kea")
    assert len(rows.frame) == 2
    assert [x.duplicates for x in rows.findings if "repeated" in x.check] == [1]
    assert [x.suppressed for x in rows.findings if "suppressed at the source" in x.check] == [1]
    bad = _write(tmp_path / "b.csv", [HEADER, ["0101", "2024-01", "12"], ["0101", "2024-01", "13"]])
    with pytest.raises(IngestError, match=r"0101 in 2024-01: rows 2, 3 give 12, 13"):
        read_register_file(bad, _reg(), name="kea")


def test_greek_headers_and_one_file_per_period(tmp_path: Path) -> None:
    reg = _reg(
        source=None,
        per_period={"2024-03": "t"},
        columns=RegisterColumns(code="Κωδικός", period=None, count="Δικαιούχοι"),
    )
    f = _write(tmp_path / "r.csv", [["Κωδικός", "Δικαιούχοι"], ["101", "12"]], encoding="cp1253")
    rows = read_register_file(f, reg.model_copy(update={"encoding": "cp1253"}), name="kea", period="2024-03")
    assert rows.frame[["key", "period"]].values.tolist() == [["0101", "2024-03"]]  # leading zero restored, reported
    assert any("leading zero" in x.check for x in rows.findings)


def test_excel_register(tmp_path: Path) -> None:
    f = tmp_path / "r.xlsx"
    pd.DataFrame({"code": ["0101", "0102"], "period": ["2024-Q1", "2024-Q1"], "count": [10, 3]}).to_excel(
        f, index=False
    )
    rows = read_register_file(f, _reg(), name="kea")
    assert rows.frame["count"].tolist() == [10, 3] and set(rows.frame["period"]) == {"2024-Q1"}


# ------------------------------------------------------------------------------------- placing (real crosswalk)
@pytest.fixture(scope="module")
def national(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 332 municipalities with the national table, and the crosswalk, from the bundle."""
    from spatial_poverty.harmonise.pipeline import harmonise_run
    from spatial_poverty.ingest import load_catalogue, read_municipal_boundaries, read_population
    from spatial_poverty.pipeline import load_config
    from spatial_poverty.pipeline.stages.ingest import selected_municipalities

    cfg = load_config(ROOT / "pipelines" / "greece.yaml")
    cat = load_catalogue(CATALOGUE)
    b = read_municipal_boundaries(raw_dir / cat[cfg.sources.boundaries].path)
    p = read_population(raw_dir / cat[cfg.sources.population].path)
    munis = selected_municipalities(cfg, b, p)
    h = harmonise_run(cfg.sources, cat, raw_dir, munis, b, p)
    return h.municipalities, h.layers["code_crosswalk"]


def _rows(pairs: list[tuple[str, int | None]], period: str = "2024-01") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": range(2, 2 + len(pairs)),
            "key": [k for k, _ in pairs],
            "period": period,
            "count": pd.array([c for _, c in pairs], dtype="Int64"),
            "suppressed": [c is None for _, c in pairs],
        }
    )


def test_renumbered_2011_codes_go_to_the_right_2021_units(national: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """2011 code 1402 is Voio (2021: 1403) and 1603 is Orestida (2021: Argos Orestiko, 1602); joined by value they
    would land on Velventos (2021 1402) and Nestorio (2021 1603)."""
    munis, cw = national
    reg = _reg(code_system="elstat_2011")
    placed = place_register(
        _rows([("1402", 100), ("1603", 70)]), reg, area=munis.index, crosswalk=cw, where="t", name="kea"
    )
    got = placed.panel.set_index("code")["count"]
    assert got["1403"] == 100 and munis.at["1403", "name_el"] == "ΔΗΜΟΣ ΒΟΪΟΥ"
    assert got["1602"] == 70 and munis.at["1602", "name_el"] == "ΔΗΜΟΣ ΑΡΓΟΥΣ ΟΡΕΣΤΙΚΟΥ"
    assert pd.isna(got["1402"]) and pd.isna(got["1603"])  # Velventos and Nestorio got nothing
    assert placed.totals["equal"].all() and placed.totals["placed_total"].tolist() == [170]


def test_divided_2011_units_are_split_with_totals_kept(national: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    munis, cw = national
    reg = _reg(code_system="elstat_2011")
    placed = place_register(
        _rows([("3201", 1001), ("1404", 7)]), reg, area=munis.index, crosswalk=cw, where="t", name="kea"
    )
    got = placed.panel.set_index("code")["count"]
    assert got[["3201", "3202", "3203"]].sum() == 1001 and got[["1402", "1405"]].sum() == 7
    assert set(placed.splits["elstat_2011"]) == {"3201", "1404"}
    assert placed.totals.iloc[0][["input_total", "placed_total"]].tolist() == [1008, 1008]


def test_unknown_code_is_an_error(national: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    munis, cw = national
    with pytest.raises(IngestError, match=r"row 3: '9999'"):
        place_register(_rows([("0101", 5), ("9999", 4)]), _reg(), area=munis.index, crosswalk=cw, where="t", name="x")


def test_names_matched_reported_and_ambiguous_listed(national: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    munis, cw = national
    rows = _rows(
        [
            ("Δήμος Κομοτηνής", 50),
            ("ΔΗΜΟΣ ΜΩΛΟΥ - ΑΓΙΟΥ ΚΩΝΣΤΑΝΤΙΝΟΥ", 20),
            ("ΔΗΜΟΣ ΗΡΑΚΛΕΙΟΥ", 900),
            ("Δήμος Ατλαντίδας", 3),
        ]
    )
    placed = place_register(rows, _reg(code_system="names"), area=munis.index, crosswalk=cw, where="t", name="x")
    got = placed.panel.set_index("code")["count"]
    assert got["0101"] == 50 and got["2704"] == 20  # Kamena Vourla under its 2011 name (Molos - Agios Konstantinos)
    matched = next(f for f in placed.findings if "matched by name" in f.check)
    assert matched.matched == 2 and len(matched.unmatched) == 2
    assert any("ambiguous: 4604, 7101" in u for u in matched.unmatched)
    assert any("2011 name" in matched.detail for _ in [0])
    left = next(f for f in placed.findings if "left out" in f.check)
    assert "903" in left.detail  # 900 + 3 not placed, said
    aliased = _reg(code_system="names", aliases={"ΔΗΜΟΣ ΗΡΑΚΛΕΙΟΥ": "7101"})
    placed = place_register(rows, aliased, area=munis.index, crosswalk=cw, where="t", name="x")
    assert placed.panel.set_index("code")["count"]["7101"] == 900


# ----------------------------------------------------------------------------------------- rates and trends
def test_rates_eb_and_disclosure_control() -> None:
    panel = pd.DataFrame(
        {
            "code": ["a", "b", "c", "d"] * 2,
            "period": ["2024-01"] * 4 + ["2024-02"] * 4,
            "count": pd.array([3, 40, 100, None, 4, 44, 90, 20], dtype="Int64"),
            "status": ["ok", "ok", "ok", "suppressed_at_source", "ok", "ok", "ok", "ok"],
        }
    )
    den = pd.Series({"a": 100.0, "b": 1000.0, "c": 2000.0, "d": 500.0})
    r = register_rates(panel, den, pd.Series("EL42", index=den.index), suppress_below=5, flag_below=20)
    first = r[r["period"] == "2024-01"].set_index("code")
    assert first.at["b", "rate"] == pytest.approx(40.0)
    assert first["suppressed"].tolist() == [True, False, False, True] and first["flag"].tolist() == [
        True,
        False,
        False,
        True,
    ]
    prior = 143 / 3100 * 1000  # the region's rate in the period, over the known counts
    assert first.at["d", "rate_eb"] == pytest.approx(prior) and bool(first.at["d", "imputed"])
    lo, hi = sorted([first.at["a", "rate"], prior])
    assert lo <= first.at["a", "rate_eb"] <= hi  # shrunk toward the regional rate
    pub = published(r).set_index(["code", "period"])
    hidden = pub[pub["suppressed"]]
    assert hidden[["count", "rate", "rate_eb"]].isna().all().all() and len(hidden) == 3


def test_change_interval_and_trend_class() -> None:
    from libpysal.graph import Graph

    codes = ["a", "b", "c", "d"]
    periods = [f"2024-{m:02d}" for m in range(1, 5)]
    counts = {"a": [100, 110, 120, 130], "b": [50, 50, 50, 50], "c": [10, 12, 3, 20], "d": [80, 70, 60, 50]}
    panel = pd.DataFrame(
        [(c, p, counts[c][i]) for c in codes for i, p in enumerate(periods)], columns=["code", "period", "count"]
    )
    panel["count"] = pd.array(panel["count"], dtype="Int64")
    panel["status"] = "ok"
    den = pd.Series(1000.0, index=codes)
    rates = register_rates(panel, den, pd.Series("R", index=codes))
    graph = Graph.from_adjacency(
        pd.DataFrame({"focal": ["a", "b", "c", "d"], "neighbor": ["b", "a", "d", "c"], "weight": 1.0})
    )
    tr = register_trends(
        rates,
        graph,
        correction="none",
        trend_alpha=0.1,
        alpha=0.05,
        min_periods_emerging=10,
        min_periods_markov=3,
        permutations=99,
        seed=1,
    )
    a = tr.frame.loc["a"]
    se = 1000 * np.sqrt(100 + 130) / 1000
    assert a["change"] == pytest.approx(30.0) and a["change_low"] == pytest.approx(30 - 1.959964 * se, rel=1e-5)
    assert a["rate_ratio"] == pytest.approx(1.3)
    assert bool(tr.frame.loc["c", "change_suppressed"]) is False and np.isfinite(tr.frame.loc["c", "change"])
    assert tr.emerging is None and tr.markov is not None  # 4 periods: Markov yes, emerging hot spots not
    short = register_trends(
        rates[rates["period"] <= "2024-02"],
        graph,
        correction="bh",
        trend_alpha=0.05,
        alpha=0.05,
        min_periods_emerging=10,
        min_periods_markov=3,
        permutations=99,
        seed=1,
    )
    assert set(short.frame["trend"]) == {"not computed"} and short.frame["mk_p"].isna().all()


def test_space_time_statistics_need_a_rate_everywhere() -> None:
    """A region whose every count of a period is suppressed has no rate there: the space-time statistics say they
    were not computed, instead of inventing one."""
    from libpysal.graph import Graph

    codes, periods = ["a", "b", "c"], [f"2024-{m:02d}" for m in range(1, 5)]
    panel = pd.DataFrame([(c, p) for c in codes for p in periods], columns=["code", "period"])
    panel["count"] = pd.array([None if (c == "c" and p == "2024-02") else 30 for c, p in panel.values], dtype="Int64")
    panel["status"] = np.where(panel["count"].isna(), "suppressed_at_source", "ok")
    den = pd.Series(1000.0, index=codes)
    rates = register_rates(panel, den, pd.Series({"a": "R1", "b": "R1", "c": "R2"}))
    adj = pd.DataFrame({"focal": ["a", "b", "b", "c"], "neighbor": ["b", "a", "c", "b"], "weight": 1.0})
    tr = register_trends(rates, Graph.from_adjacency(adj), correction="bh", trend_alpha=0.05, alpha=0.05,
                         min_periods_emerging=3, min_periods_markov=3, permutations=99, seed=1)  # fmt: skip
    assert "not computed" in tr.emerging["skipped"] and "'c'" in tr.markov["skipped"]


# ------------------------------------------------------------------------------------------------- import
def _digest_tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_import_refuses_bad_files_and_leaves_data_raw_unchanged(tmp_path: Path) -> None:
    from spatial_poverty.registers.importing import import_register

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "catalogue.yaml").write_text(CATALOGUE.read_text(encoding="utf-8"), encoding="utf-8")
    before = _digest_tree(raw)
    bad_files = {
        "encoding": _write(tmp_path / "enc.csv", [HEADER, ["0101", "2024-01", "Άνω"]], encoding="cp1253"),
        "periods": _write(tmp_path / "per.csv", [HEADER, ["0101", "2024-01", "1"], ["0102", "2024Q1", "2"]]),
        "negative": _write(tmp_path / "neg.csv", [HEADER, ["0101", "2024-01", "-1"]]),
        "duplicate": _write(tmp_path / "dup.csv", [HEADER, ["0101", "2024-01", "1"], ["0101", "2024-01", "2"]]),
        "code": _write(tmp_path / "code.csv", [HEADER, ["1X1", "2024-01", "1"]]),
    }
    for what, f in bad_files.items():
        with pytest.raises(IngestError):
            import_register(f, _reg(), source_id=f"bad_{what}", catalogue=raw / "catalogue.yaml", raw=raw)
        assert _digest_tree(raw) == before, what
    good = _write(tmp_path / "good.csv", [HEADER, ["0101", "2024-01", "1.204"], ["0102", "2024-01", "<5"]])
    rep = import_register(good, _reg(), source_id="kea_test", catalogue=raw / "catalogue.yaml", raw=raw)
    assert rep.target == raw / "registers" / "kea_test.csv" and rep.target.read_bytes() == good.read_bytes()
    assert not rep.target.stat().st_mode & 0o222  # read-only
    local = yaml.safe_load((raw / "catalogue.local.yaml").read_text(encoding="utf-8"))
    entry = next(s for s in local["sources"] if s["id"] == "kea_test")
    assert entry["sha256"] == hashlib.sha256(good.read_bytes()).hexdigest() and entry["origin"] == "import"
    other = _write(tmp_path / "other.csv", [HEADER, ["0101", "2024-01", "2"]])
    with pytest.raises(ConfigError, match="--replace"):
        import_register(other, _reg(), source_id="kea_test", catalogue=raw / "catalogue.yaml", raw=raw)
    with pytest.raises(ConfigError, match="public source"):
        import_register(other, _reg(), source_id="elstat_2021_population", catalogue=raw / "catalogue.yaml", raw=raw)
    assert rep.target.read_bytes() == good.read_bytes()


# ------------------------------------------------------------------------------------- demonstration pipeline
@pytest.fixture(scope="module")
def demo_run(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pipelines/registers_demo.yaml as a fresh clone runs it: synthetic files made and imported, then the run
    (in a temporary project: its own catalogue and raw folder, the bundle's files linked)."""
    work = demo_project(
        raw_dir, tmp_path_factory.mktemp("registers"), ("registers_demo.yaml", "targets/registers_demo.yaml")
    )
    cfg = work / "pipelines" / "registers_demo.yaml"
    made = run_cli("data", "synthetic-registers", str(cfg))
    assert made.returncode == 0, made.stderr
    proc = run_cli("run", str(cfg))
    assert proc.returncode == 0, proc.stderr
    return work


def _file_totals(path: Path, code: str, period: str, count: str, encoding: str, delimiter: str) -> dict[str, int]:
    """Per period, the sum of the counts as written in the file (rows repeated exactly counted once)."""
    with path.open(encoding=encoding, newline="") as fh:
        rows = {tuple(r.values()) for r in csv.DictReader(fh, delimiter=delimiter)}
    out: dict[str, int] = {}
    for r in rows:
        rec = dict(zip([code, period, count], r, strict=True))
        p = rec[period]
        p = f"{p[3:]}-{p[:2]}" if "/" in p else p
        if rec[count] != "<5":
            out[p] = out.get(p, 0) + int(rec[count].replace(".", ""))
    return out


def test_demo_publishes_registers_with_exact_totals(demo_run: Path) -> None:
    import json

    out = demo_run / "data" / "processed" / "registers_demo"
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    regs = m["registers"]["registers"]
    cfg = yaml.safe_load((demo_run / "pipelines" / "registers_demo.yaml").read_text(encoding="utf-8"))["sources"][
        "registers"
    ]
    assert set(regs) == {"kea", "unemployed", "child_benefit"}
    assert {r["code_system"] for r in regs.values()} == {"elstat_2011", "names", "elstat_2021"}
    con = sqlite3.connect(out / "registers_demo.gpkg")
    for name, reg in regs.items():
        c = cfg[name]
        assert reg["n_periods"] == (23 if name == "unemployed" else 24)
        raw = demo_run / "data" / "raw" / "registers" / f"SYNTHETIC_{c['source']}.csv"
        expected = _file_totals(
            raw,
            c["columns"]["code"],
            c["columns"]["period"],
            c["columns"]["count"],
            "cp1253" if c.get("encoding") == "cp1253" else "utf-8-sig",
            c.get("delimiter", ";"),
        )
        placed = {t["period"]: t["placed_total"] + t["withheld"] for t in reg["totals"]}
        assert placed == expected, name  # the 2021-unit totals equal the input totals exactly, every period
        assert all(t["equal"] for t in reg["totals"])
        assert reg["emerging"] is not None and reg["markov"] is not None
        # suppressed cells carry no number in the layer; the trend layer has its space-time categories
        leaked = con.execute(
            f"select count(*) from register_{name} where suppressed = 1 and "
            "(count is not null or rate is not null or rate_eb is not null)"
        ).fetchone()[0]
        assert leaked == 0 and reg["suppressed"] > 0
        n, cats = con.execute(f"select count(*), count(distinct ehsa_category) from register_{name}_trend").fetchone()
        assert n == 332 and cats >= 2
        desc = con.execute(
            "select description from gpkg_contents where table_name = ?", (f"register_{name}",)
        ).fetchone()[0]
        assert "SYNTHETIC" in desc
    divided = {s["elstat_2011"] for s in regs["kea"]["splits"]}
    assert {"1404", "3201", "3501", "5301", "5601"} <= divided  # the five municipalities divided in 2019
    splits = pd.read_csv(out / "register_splits.csv", dtype=str, encoding="utf-8-sig")
    assert {"1404", "3201", "3501", "5301", "5601"} <= set(splits["elstat_2011"])
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="registers"' in report and report.count("SYNTHETIC - demonstration data") >= 3
    assert "2023-07" in (out / "registers_quality.csv").read_text(encoding="utf-8-sig")  # the month missing, said
    for fig in ("series", "map"):
        assert (out / "figures" / f"register_kea_{fig}.png").is_file()


def test_demo_validates_and_declares_its_registers(demo_run: Path) -> None:
    proc = run_cli("validate", str(demo_run / "pipelines" / "registers_demo.yaml"))
    assert proc.returncode == 0, proc.stderr
    assert (demo_run / "data" / "synthetic").is_dir()
    assert all(p.name.startswith("SYNTHETIC_") for p in (demo_run / "data" / "raw" / "registers").iterdir())


def test_demo_dry_run_plan_is_what_the_run_published(demo_run: Path) -> None:
    import json

    from spatial_poverty.ingest import load_catalogue
    from spatial_poverty.pipeline import load_config, run_plan

    out = demo_run / "data" / "processed" / "registers_demo"
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    cfg = load_config(demo_run / "pipelines" / "registers_demo.yaml")
    plan = run_plan(cfg, load_catalogue(cfg.resolve(cfg.paths.catalogue)))
    published = {o["path"] for o in man["outputs"] if not o["path"].startswith("history/")}
    assert set(plan.files) == published | {"manifest.json"}
    assert plan.layers == list(man["layers"]) and plan.figures == list(man["figures"])
    assert [k for k, _ in plan.inputs if "." not in k] == [i["id"] for i in man["inputs"]]


def test_demo_targets_follow_a_register(demo_run: Path) -> None:
    """A target may name a register of the run (indicator register:kea): its series is the run's regional rate."""
    out = demo_run / "data" / "processed" / "registers_demo"
    t = pd.read_csv(out / "targets.csv").set_index("id")
    assert set(t.index) == {"kea_el42", "kea_el"}
    assert (t["latest_year"] == 2024).all() and (t["status"] != "no data").all()
    assert ((t["baseline_in_source"] - t["baseline_value"]).abs() < 0.05).all()  # the baselines are the run's 2023


def test_a_target_on_an_undeclared_register_is_refused(tmp_path: Path) -> None:
    from spatial_poverty.targets import load_targets
    from spatial_poverty.targets.schema import register_targets

    doc = yaml.safe_load((ROOT / "pipelines" / "targets" / "registers_demo.yaml").read_text(encoding="utf-8"))
    doc["targets"][0]["indicator"] = "register:housing"
    f = tmp_path / "t.yaml"
    f.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    targets = load_targets(f)
    assert register_targets(targets, ["kea", "housing"]) == {"kea_el42": "housing", "kea_el": "kea"}
    with pytest.raises(ConfigError, match=r"\['kea_el42'\] follow register\(s\) \['housing'\]"):
        register_targets(targets, ["kea"])
    doc["targets"][0]["indicator"] = "register:Bad-Name"
    f.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="register:<name>"):
        load_targets(f)


def test_history_records_register_classes(demo_run: Path) -> None:
    """The run's history keeps each municipality's register trend class and emerging hot spot category, so that
    `spatial-poverty diff` and the report's changes section show which municipalities changed between runs."""
    from spatial_poverty.pipeline.history import compare, unit_classes

    gpkg = demo_run / "data" / "processed" / "registers_demo" / "registers_demo.gpkg"
    classes = unit_classes(gpkg)
    for name in ("kea", "unemployed", "child_benefit"):
        assert len(classes[f"register_{name}_trend.trend"]) == 332
        assert len(classes[f"register_{name}_trend.ehsa_category"]) == 332
    before = {"units": classes}
    moved = {k: dict(v) for k, v in classes.items()}
    moved["register_kea_trend.trend"]["0101"] = "increasing"
    moved["register_kea_trend.trend"]["0102"] = "decreasing"
    out = compare(before, {"units": moved})
    diff = [c for c in out["classes"] if c["layer"] == "register_kea_trend"]
    assert {c["code"] for c in diff} <= {"0101", "0102"} and diff and out["municipalities"] == len(diff)
    assert out["labels"]["register_kea_trend.trend"] == "register trend (Mann-Kendall)"
