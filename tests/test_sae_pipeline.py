"""AROPE per municipality and group in a run (issue 21): the survey read and checked, benchmarking per region,
coverage against the simulator's truth, and pipelines/arope_demo.yaml end to end (layer, style, report, targets,
suppression in every output, byte-identical rerun).

Small survey files are written by the tests themselves (test fixtures, not data); the SYNTHETIC survey is made on
the real municipalities of the bundle.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from spatial_poverty.errors import ConfigError, IngestError
from spatial_poverty.sae.fh import fit_fh
from spatial_poverty.sae.spec import SaeSpec
from spatial_poverty.sae.survey import arope_from_components, read_survey
from tests.conftest import CATALOGUE, ROOT, demo_project, run_cli
from tests.test_qgis import qgis_python  # noqa: F401  (the fixture)

GROUPS = {
    "all": {"title_el": "Σύνολο", "title_en": "All", "population": "pop_2021"},
    "children": {"title_el": "Παιδιά", "title_en": "Children", "column": "age", "max": 17},
    "elderly": {"title_el": "65+", "title_en": "65+", "column": "age", "min": 65},
    "women": {
        "title_el": "Γυναίκες",
        "title_en": "Women",
        "column": "sex",
        "values": ["F"],
        "population": "female_2021",
    },
}
COLUMNS = {"domain": "municipality", "weight": "weight", "strata": "region", "psu": "household_id"}
OUTCOME = {"poverty": "at_risk_of_poverty", "deprivation": "severe_deprivation", "work_intensity": "low_work_intensity"}
COVARIATES = ["unemp_2001", "foreign_2001", "primary_2001"]


def _spec(**kw: object) -> SaeSpec:
    base: dict[str, object] = {"survey": "s", "year": 2023, "columns": COLUMNS, "outcome": OUTCOME,
                               "groups": GROUPS, "covariates": COVARIATES}  # fmt: skip
    base.update(kw)
    return SaeSpec.model_validate(base)


def _survey_file(path: Path, rows: list[dict[str, object]]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _person(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {"household_id": "H1", "region": "EL30", "municipality": "4501", "weight": "100.5",
                               "age": 40, "sex": "F", "at_risk_of_poverty": 0, "severe_deprivation": 0,
                               "low_work_intensity": 0}  # fmt: skip
    base.update(kw)
    return base


# ------------------------------------------------------------------------------------------------ reading
def test_arope_combines_the_three_components_as_eurostat() -> None:
    nan = np.nan
    got = arope_from_components(np.array([1, 0, 0, 0, nan, 0]), np.array([0, 1, 0, 0, 0, nan]),
                                np.array([0, 0, 1, 0, 1, 0]))  # fmt: skip
    np.testing.assert_array_equal(got, [1, 1, 1, 0, 1, nan])  # unknown only when no component says yes


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weight": "0"}, r"row 3, column 'weight': '0'; weights need to be positive"),
        ({"weight": "12,5"}, r"row 3, column 'weight': '12,5'; expected a number with '.' as the decimal mark"),
        ({"severe_deprivation": 2}, r"row 3, column 'severe_deprivation': '2'; expected 0 or 1"),
        ({"municipality": "9999"}, r"row 3, column 'municipality': '9999' is not an elstat_2021 municipality code"),
        ({"municipality": "45x1"}, r"row 3, column 'municipality': '45x1'; expected a 4-digit municipality code"),
    ],
)
def test_bad_survey_rows_are_named(tmp_path: Path, change: dict[str, object], message: str) -> None:
    f = _survey_file(tmp_path / "s.csv", [_person(), _person(**change)])
    with pytest.raises(IngestError, match=message):
        read_survey(f, _spec(), municipalities=pd.Index(["4501", "4502"]))


def test_missing_column_is_named(tmp_path: Path) -> None:
    rows = [{k: v for k, v in _person().items() if k != "sex"}]
    f = _survey_file(tmp_path / "s.csv", rows)
    with pytest.raises(IngestError, match=r"column\(s\) \['sex'\] are missing"):
        read_survey(f, _spec(), municipalities=pd.Index(["4501"]))


def test_2011_codes_go_through_the_crosswalk_and_divided_units_stay_in_their_region(tmp_path: Path) -> None:
    """A lost leading zero is padded; 2011 Corfu (3201, divided in 2019) cannot be placed on one 2021
    municipality: its respondents stay in the design and the region, in no municipality."""
    crosswalk = pd.DataFrame({"elstat_2011": ["0101", "3201", "3201", "3201"],
                              "elstat_2021": ["0101", "3201", "3202", "3203"]})  # fmt: skip
    f = _survey_file(tmp_path / "s.csv", [_person(municipality="101"), _person(municipality="3201"),
                                          _person(municipality="3201")])  # fmt: skip
    s = read_survey(f, _spec(code_system="elstat_2011"), municipalities=pd.Index(["0101", "3201", "3202", "3203"]),
                    crosswalk=crosswalk)  # fmt: skip
    assert s.frame["code"].fillna("none").tolist() == ["0101", "none", "none"]
    assert s.frame["region_code"].tolist() == ["0101", "3201", "3201"]
    assert s.unplaced == {"3201": 2}


def test_a_national_survey_in_a_regional_run_keeps_the_others_in_the_design(tmp_path: Path) -> None:
    """Respondents of municipalities outside the run's area are read (a known 2021 code), in no domain and no
    region of the area; an unknown code is still an error."""
    f = _survey_file(tmp_path / "s.csv", [_person(), _person(municipality="0101", region="EL51")])
    s = read_survey(f, _spec(), municipalities=pd.Index(["4501"]), known_codes=pd.Index(["0101", "4501"]))
    assert s.frame["code"].fillna("none").tolist() == ["4501", "none"]
    assert s.frame["region_code"].fillna("none").tolist() == ["4501", "none"] and s.outside == 1
    with pytest.raises(IngestError, match="'0102' is not an elstat_2021 municipality code"):
        read_survey(_survey_file(tmp_path / "t.csv", [_person(municipality="0102")]), _spec(),
                    municipalities=pd.Index(["4501"]), known_codes=pd.Index(["0101", "4501"]))  # fmt: skip


def test_config_refuses_what_the_run_does_not_make(tmp_path: Path) -> None:
    from spatial_poverty.pipeline import load_config

    doc = yaml.safe_load((ROOT / "pipelines" / "arope_demo.yaml").read_text(encoding="utf-8"))
    for covariates, message in (
        (["unemp_2001", "no_such_field"], r"sae.covariates \['no_such_field'\] are not made by this run"),
        (["register:kea"], r"register\(s\) \['kea'\] that sources.registers does not declare"),
    ):
        doc["sae"]["covariates"] = covariates
        f = tmp_path / "p.yaml"
        f.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_config(f)
    doc["sae"]["groups"]["all"] = {"title_el": "a", "title_en": "a"}
    f.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="population: pop_2021"):
        load_config(f)


# ------------------------------------------------------------------------------------------- benchmarking
def test_each_region_is_benchmarked_exactly_and_the_interval_moves_with_the_estimate() -> None:
    """Two regions, ratio benchmarking: the population-weighted mean of each region's estimates equals its own
    figure (to 1e-12); every interval holds its estimate; the bootstrap MSE repeats with the seed."""
    rng = np.random.default_rng(3)
    m = 60
    x = rng.normal(size=m)
    p = 1 / (1 + np.exp(-(-0.8 + 0.4 * x + rng.normal(0, 0.3, m))))
    n = rng.integers(10, 60, m).astype(float)
    d = pd.DataFrame({"p": rng.binomial(n.astype(int), p) / n, "n": n, "x": x, "pop": rng.integers(800, 9000, m),
                      "region": np.where(np.arange(m) < 30, "A", "B")}, index=[f"a{i}" for i in range(m)])  # fmt: skip
    d.loc[d.index[::7], ["p", "n"]] = np.nan
    kw = dict(direct="p", variance=None, covariates=["x"], transform="arcsin", sample_size="n", bootstrap=60,
              seed=4, population="pop", benchmark_value={"A": 0.25, "B": 0.40}, benchmark_groups="region")  # fmt: skip
    res = fit_fh(d, **kw)
    e = res.estimates.join(d[["pop", "region"]])
    for region, figure in (("A", 0.25), ("B", 0.40)):
        r = e[e["region"] == region]
        assert (r["eblup"] * r["pop"]).sum() / r["pop"].sum() == pytest.approx(figure, abs=1e-12)
    assert ((e["ci_low"] <= e["eblup"]) & (e["eblup"] <= e["ci_high"])).all()
    assert res.extra["benchmark"]["groups"] == "region"
    np.testing.assert_array_equal(fit_fh(d, **kw).estimates["mse"], e["mse"])


# ------------------------------------------------------------------------------------- coverage vs the truth
@pytest.fixture(scope="module")
def national(raw_dir: Path) -> pd.DataFrame:
    """The 332 municipalities with the national table and the 2021 women (real, from the bundle)."""
    from spatial_poverty.harmonise.pipeline import harmonise_run
    from spatial_poverty.ingest import load_catalogue, read_municipal_boundaries, read_population
    from spatial_poverty.ingest.elstat2021 import read_women_2021
    from spatial_poverty.pipeline import load_config
    from spatial_poverty.pipeline.stages.ingest import selected_municipalities

    cfg = load_config(ROOT / "pipelines" / "greece.yaml")
    cat = load_catalogue(CATALOGUE)
    b = read_municipal_boundaries(raw_dir / cat[cfg.sources.boundaries].path)
    p = read_population(raw_dir / cat[cfg.sources.population].path)
    munis = harmonise_run(cfg.sources, cat, raw_dir, selected_municipalities(cfg, b, p), b, p).municipalities
    return munis.assign(female_2021=read_women_2021(raw_dir / cat[cfg.sources.population].path))


def test_intervals_cover_the_simulated_truth(national: pd.DataFrame, tmp_path: Path) -> None:
    """Eight SYNTHETIC EU-SILC-sized surveys (about 6,000 households each, seeds 100-107) on the real
    municipalities, four groups each, benchmarked to the survey's regional estimates: the 95 % intervals of the
    published estimates (publish or flag) hold the truth 93-97 % of the time, and the model makes at least three
    times as many municipalities publishable as the direct estimates (group all)."""
    from spatial_poverty.sae.municipal import estimate_group, regional_direct
    from spatial_poverty.sae.synthetic_survey import coverage, synthetic_survey, write_synthetic_survey

    spec = _spec(bootstrap=100, benchmark="survey")
    region_of = national["nuts2"].astype(str)
    areas = national[["name_el", "pop_2021", "female_2021", *COVARIATES]]
    rates, pub_direct, pub_model = [], [], []
    for rep in range(8):
        s = synthetic_survey(national, COVARIATES, seed=100 + rep)
        path, _ = write_synthetic_survey(s, tmp_path / f"s{rep}.csv")
        survey = read_survey(path, spec, municipalities=national.index)
        tables = []
        for name, group in spec.groups.items():
            bm = regional_direct(survey, spec, group, region_of)["estimate"].to_dict()
            r = estimate_group(name, group, survey, spec, areas, region_of=region_of, benchmark=bm,
                               benchmark_source="survey", seed=7 + rep)  # fmt: skip
            tables.append(r.table)
            if name == "all":
                pub_direct.append(r.model["publish_direct"])
                pub_model.append(r.model["publish_model"])
        rates.append(coverage(pd.concat(tables), s.truth)["all_published"])
    assert 0.93 <= float(np.mean(rates)) <= 0.97, rates
    assert np.mean(pub_model) >= 3 * np.mean(pub_direct), (pub_direct, pub_model)


# ------------------------------------------------------------------------------------------ the demo, whole
@pytest.fixture(scope="module")
def demo_run(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pipelines/arope_demo.yaml as a fresh clone runs it (make arope-demo): the SYNTHETIC survey made and
    imported, then the run, in a temporary project (its own catalogue and raw folder, the bundle's files linked)."""
    work = demo_project(raw_dir, tmp_path_factory.mktemp("arope"), ("arope_demo.yaml", "targets/arope_demo.yaml"))
    cfg = work / "pipelines" / "arope_demo.yaml"
    made = run_cli("data", "synthetic-survey", str(cfg))
    assert made.returncode == 0, made.stderr
    proc = run_cli("run", str(cfg))
    assert proc.returncode == 0, proc.stderr
    return work


def _out(demo_run: Path) -> Path:
    return demo_run / "data" / "processed" / "arope_demo"


def test_demo_publishes_every_municipality_and_group_benchmarked(demo_run: Path) -> None:
    out = _out(demo_run)
    con = sqlite3.connect(out / "arope_demo.gpkg")
    layer = pd.read_sql('select code, "group", estimate, quality, benchmarked, people_at_risk from poverty_sae', con)
    assert layer.groupby("group").size().to_dict() == {"all": 332, "children": 332, "elderly": 332, "women": 332}
    assert layer["benchmarked"].all()
    desc = con.execute("select description from gpkg_contents where table_name = 'poverty_sae'").fetchone()[0]
    assert "SYNTHETIC - demonstration data" in desc and "unemp_2001 (2001)" in desc
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["sae"]
    # Each region's benchmarked estimates add up to its benchmark: recomputed from the estimates before
    # suppression (the published layer leaves the suppressed ones out) with the group's population.
    from spatial_poverty.pipeline import load_config

    res = _recomputed(demo_run)
    munis = res["munis"]
    for g, r in res["run"].groups.items():
        e = r.fit.estimates
        # the group's population: the women of 2021, or the 2021 population (times the group's regional share,
        # constant within a region, so it leaves the regional mean as it is)
        w = (res["women"] if g == "women" else munis["pop_2021"]).reindex(e.index).astype(float)
        got = (e["eblup"] * w).groupby(munis["nuts2"]).sum() / w.groupby(munis["nuts2"]).sum()
        bench = m["groups"][g]["benchmark"]
        assert len(bench) == 13
        for region, value in bench.items():
            assert got[region] == pytest.approx(value, abs=1e-12), (g, region)
        shown = (r.table["quality"] != "suppress").to_numpy()
        np.testing.assert_array_equal(r.table["estimate"].to_numpy(float)[shown], e["eblup"].to_numpy()[shown])
    assert load_config(demo_run / "pipelines" / "arope_demo.yaml").sae_enabled


_CACHE: dict[str, object] = {}


def _recomputed(demo_run: Path) -> dict[str, object]:
    """The demo's estimates recomputed through the Python API (same inputs and seed), before suppression."""
    if "run" in _CACHE:
        return _CACHE
    from spatial_poverty.cli.common import real_units
    from spatial_poverty.ingest import load_catalogue
    from spatial_poverty.ingest.elstat2021 import read_women_2021
    from spatial_poverty.pipeline import load_config
    from spatial_poverty.sae.run import run_sae

    cfg = load_config(demo_run / "pipelines" / "arope_demo.yaml")
    cat = load_catalogue(cfg.resolve(cfg.paths.catalogue))
    raw = cfg.resolve(cfg.paths.raw)
    munis, crosswalk = real_units(cfg)
    women = read_women_2021(raw / cat[cfg.sources.population].path)
    run = run_sae(cfg.sae, survey_path=raw / cat[cfg.sae.survey].path, survey_name=cat[cfg.sae.survey].path,
                  municipalities=munis, women=women,
                  crosswalk=crosswalk, registers={}, eurostat_path=raw / cat[cfg.sources.arope_nuts2].path,
                  seed=cfg.seed)  # fmt: skip
    _CACHE.update(run=run, munis=munis, women=women)
    return _CACHE


def test_demo_intervals_cover_its_truth(demo_run: Path) -> None:
    from spatial_poverty.sae.synthetic_survey import coverage

    con = sqlite3.connect(_out(demo_run) / "arope_demo.gpkg")
    e = pd.read_sql('select code, "group", ci_low, ci_high, quality from poverty_sae', con).set_index("code")
    truth = pd.read_csv(
        demo_run / "data" / "synthetic" / "SYNTHETIC_synthetic_silc_2023_truth.csv", dtype={"code": str}
    )
    cov = coverage(e, truth)
    assert 0.93 <= cov["all_published"] <= 0.97, cov
    assert cov["published"] >= 0.95 * 4 * 332


def test_no_suppressed_value_appears_in_any_output(demo_run: Path) -> None:
    """Suppressed rows carry no number in the layer; and none of their values (the estimate, its interval, RMSE,
    CV, direct estimate, people at risk, before suppression) appears in any published file."""
    out = _out(demo_run)
    con = sqlite3.connect(out / "arope_demo.gpkg")
    from spatial_poverty.sae.municipal import ESTIMATE_FIELDS

    fields = list(ESTIMATE_FIELDS)
    leaked = con.execute(
        "select count(*) from poverty_sae where quality = 'suppress' and coalesce("
        + ", ".join(fields)
        + ") is not null"
    ).fetchone()[0]
    n_suppressed = con.execute("select count(*) from poverty_sae where quality = 'suppress'").fetchone()[0]
    assert leaked == 0 and n_suppressed > 0
    run = _recomputed(demo_run)["run"]
    needles: set[str] = set()
    for r in run.groups.values():
        e = r.fit.estimates[r.table["quality"].to_numpy() == "suppress"]
        for col in ("eblup", "ci_low", "ci_high", "mse", "cv"):
            for v in e[col].to_numpy(float):
                needles |= {repr(float(v)), f"{v:.10g}"}  # as CSV, JSON and SQLite write them; no chance match
    texts = {}
    for f in out.rglob("*"):
        if f.is_file() and f.suffix in (".csv", ".html", ".json", ".log", ".geojson"):
            texts[f] = f.read_text(encoding="utf-8", errors="replace")
    dump = "\n".join(str(row) for row in con.execute('select * from poverty_sae where quality = "suppress"'))
    texts[out / "arope_demo.gpkg"] = dump + "\n".join(
        str(r) for r in con.execute("select * from gpkg_metadata")
    )  # fmt: skip
    hits = {str(f.name): n for f, t in texts.items() for n in needles if n in t}
    assert not hits, hits
    csv = pd.read_csv(out / "poverty_sae.csv", dtype=str, encoding="utf-8-sig")  # headers: the Greek aliases
    from spatial_poverty.export.schema import LAYERS

    csv.columns = list(LAYERS["poverty_sae"].fields)
    assert csv.loc[csv["quality"] == "suppress", fields].isna().all().all()


def test_demo_report_targets_and_plan(demo_run: Path) -> None:
    from spatial_poverty.ingest import load_catalogue
    from spatial_poverty.pipeline import load_config, run_plan

    out = _out(demo_run)
    report = (out / "report.html").read_text(encoding="utf-8")
    section = report[report.index('<section id="sae">') :]
    section = section[: section.index("</section>")]
    assert "SYNTHETIC - demonstration data" in section and "Spearman" in section and "σ²_u" in section
    assert 'src="figures/sae_cv.png"' in section and 'src="figures/sae_children_map.png"' in section
    page = (out / "map.html").read_text(encoding="utf-8")
    assert page.count("SYNTHETIC - demonstration data: AROPE 2023: ") == 4  # one map layer per group
    t = pd.read_csv(out / "targets.csv").set_index("id")
    # The national estimate's interval lies below its target: reached; South Aegean's point is past its target
    # but its interval is not: on track; Rhodes's children are above the line: off track.
    assert t.loc["arope_el", "status"] == "reached" and t.loc["arope_el", "latest_high"] <= 33.0
    assert t.loc["arope_el42", "status"] == "on track" and t.loc["arope_el42", "latest_value"] <= 35.0
    assert t.loc["arope_children_rhodes", "status"] == "off track"
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    cfg = load_config(demo_run / "pipelines" / "arope_demo.yaml")
    plan = run_plan(cfg, load_catalogue(cfg.resolve(cfg.paths.catalogue)))
    published = {o["path"] for o in man["outputs"] if not o["path"].startswith("history/")}
    assert set(plan.files) == published | {"manifest.json"}
    assert plan.layers == list(man["layers"]) and plan.figures == list(man["figures"])
    assert run_cli("validate", str(demo_run / "pipelines" / "arope_demo.yaml")).returncode == 0


def test_demo_reruns_byte_identical(demo_run: Path) -> None:
    """Made again, the survey is the same file ("already present"); run again without the cache, the
    GeoPackage is byte-identical."""
    gpkg = _out(demo_run) / "arope_demo.gpkg"
    before = hashlib.sha256(gpkg.read_bytes()).hexdigest()
    cfg = demo_run / "pipelines" / "arope_demo.yaml"
    again = run_cli("data", "synthetic-survey", str(cfg))
    assert again.returncode == 0 and "already present" in again.stdout, again.stdout + again.stderr
    proc = run_cli("run", str(cfg), "--force", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert hashlib.sha256(gpkg.read_bytes()).hexdigest() == before


def test_import_survey_refuses_a_bad_file_and_writes_nothing(demo_run: Path, tmp_path: Path) -> None:
    raw = demo_run / "data" / "raw"
    local = raw / "catalogue.local.yaml"
    before = local.read_bytes()
    bad = _survey_file(tmp_path / "bad.csv", [_person(), _person(weight="-3")])
    proc = run_cli("data", "import-survey", str(bad), "--pipeline", str(demo_run / "pipelines" / "arope_demo.yaml"))
    assert proc.returncode == 4 and "row 3, column 'weight'" in proc.stderr
    assert local.read_bytes() == before
    assert sorted(p.name for p in (raw / "surveys").iterdir()) == ["SYNTHETIC_synthetic_silc_2023.csv"]


def test_demo_opens_styled_in_qgis(demo_run: Path, qgis_python: str, tmp_path: Path) -> None:  # noqa: F811
    """Headless QGIS applies the default style of poverty_sae: quantile classes of the group 'all' with a grey
    class for the suppressed, flagged estimates hatched, Greek aliases; the render shows the classes."""
    from tests.test_qgis import colours, open_in_qgis

    con = sqlite3.connect(_out(demo_run) / "arope_demo.gpkg")
    flagged = con.execute("select count(*) from poverty_sae where quality = 'flag'").fetchone()[0]
    info = open_in_qgis(qgis_python, _out(demo_run) / "arope_demo.gpkg", tmp_path)["layers"]["poverty_sae"]
    assert info["valid"] and info["features"] == 4 * 332 and info["crs"] == "EPSG:2100"
    assert info["renderer"] == "graduatedSymbol" and "\"group\" = 'all'" in info["attr"]
    assert info["classes"] == 6 and info["colours"][0] == "#bdbdbd"
    assert info["legend"][0] == "Απόκρυψη (CV > 33,3%)"
    assert info["symbol_layers"] == ["SimpleFill", "LinePatternFill"] and len(info["hatched"]) == flagged
    assert info["aliases"]["estimate"] == "Εκτίμηση AROPE"
    assert {"#bd0026", "#ffffb2"} <= colours(tmp_path / "poverty_sae.png")


def test_covariates_carry_their_year_and_a_missing_one_is_named() -> None:
    """Covariates of the run's table and of its registers (``register:<name>``, the latest smoothed rate), each
    with the year it rests on; a municipality without a value stops the run naming it."""
    from spatial_poverty.errors import StatisticsError
    from spatial_poverty.sae.run import covariate_table, covariate_year

    kea = pd.Series([12.0, 30.0], index=["0101", "0102"])
    kea.attrs["period"] = "2024-12"
    munis = pd.DataFrame({"name_el": ["Α", "Β"], "unemp_2001": [5.0, 7.0]}, index=["0101", "0102"])
    spec = _spec(covariates=["unemp_2001", "register:kea"])
    table = covariate_table(spec, munis, {"kea": kea})
    assert table.columns.tolist() == ["unemp_2001", "register:kea"] and table.loc["0102", "register:kea"] == 30.0
    assert [covariate_year(c, {"kea": kea}) for c in ("unemp_2001", "register:kea", "density")] == [
        "2001",
        "2024-12",
        "2021",
    ]
    with pytest.raises(StatisticsError, match=r"municipality 0102 \(Β\) has no value of \['register:kea'\]"):
        covariate_table(spec, munis, {"kea": kea.iloc[:1]})


def test_the_default_benchmark_is_eurostat_when_the_bundle_has_the_year(raw_dir: Path) -> None:
    """benchmark auto: the group of everyone takes Eurostat's ilc_peps11 NUTS 2 AROPE of the survey year (2020:
    all 13 regions, South Aegean 30.8 %, read from the bundle), the other groups the survey's regional estimate;
    a year without NUTS 2 figures (2023) falls back to the survey, and benchmark eurostat then says why."""
    from spatial_poverty.ingest import load_catalogue
    from spatial_poverty.ingest.regions import REGIONS
    from spatial_poverty.sae.run import benchmark_figures, eurostat_arope

    path = raw_dir / load_catalogue(CATALOGUE)["eurostat_ilc_peps11_el_2003_2020"].path
    regions = sorted(REGIONS)  # the 13 NUTS 2 codes
    figures = eurostat_arope(path, 2020, regions)
    assert figures is not None and len(figures) == 13 and figures["EL42"] == pytest.approx(0.308)
    assert eurostat_arope(path, 2023, regions) is None
    regional = pd.DataFrame({"estimate": [0.31, 0.27]}, index=["EL42", "EL30"])
    spec = _spec(year=2020)
    assert benchmark_figures(spec, "all", regional, figures) == (figures, "Eurostat ilc_peps11, AROPE 2020, NUTS 2")
    got, source = benchmark_figures(spec, "children", regional, figures)
    assert got == {"EL42": 0.31, "EL30": 0.27} and source.startswith("the survey's own regional direct estimate")
    with pytest.raises(ConfigError, match="no figure for every region in 2023"):
        benchmark_figures(_spec(year=2023, benchmark="eurostat"), "all", regional, None)
