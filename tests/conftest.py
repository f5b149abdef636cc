"""Shared fixtures.

Tests that need the offline data bundle read it from ``$SPATIAL_POVERTY_BUNDLE`` or ``../shared/data`` beside
the project. Under ``CI=true`` a missing bundle fails those tests instead of skipping them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "data" / "raw" / "catalogue.yaml"
#: Inputs of the targets monitored by pipelines/targets/*.yaml.
TARGET_SOURCES = [
    "eurostat_arope_greece_national",
    "eurostat_ilc_peps11_el_2003_2020",
    "elstat_lfs_annual_nuts2_population_status",
]


def _bundle_dir() -> Path:
    env = os.environ.get("SPATIAL_POVERTY_BUNDLE")
    return Path(env) if env else ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def bundle() -> Path:
    """The offline data bundle (real public Greek data)."""
    path = _bundle_dir()
    if not (path / "elstat_2021" / "dimdata.json").is_file():
        msg = f"the data bundle is not at {path} (set SPATIAL_POVERTY_BUNDLE)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def raw_dir(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data/raw filled from the bundle by ``data sync`` (in a temporary folder; the repo's is never touched)."""
    from spatial_poverty.ingest import load_catalogue, sync

    raw = tmp_path_factory.mktemp("raw")
    cat = load_catalogue(CATALOGUE)
    sync(cat, bundle, raw, ids=pipeline_source_ids())
    return raw


def pipeline_source_ids() -> list[str]:
    """Every catalogue id the shipped pipelines and their targets read."""
    ids = dict.fromkeys(TARGET_SOURCES)
    for path in sorted((ROOT / "pipelines").glob("*.yaml")):
        sources = yaml.safe_load(path.read_text(encoding="utf-8")).get("sources", {})
        ids.update(dict.fromkeys(v for v in sources.values() if isinstance(v, str)))  # registers: imported files
    return list(ids)


#: What ``lean=True`` keeps of a pipeline: the 2021 boundaries and population, the weights and statistics. The
#: publication tests (locks, kills) exercise the same staging and swap on this quicker run.
LEAN_SOURCES = ("boundaries", "population")


def pipeline_copy(name: str, raw: Path, processed: Path, dest: Path, *, lean: bool = False, **replace: str) -> Path:
    """A copy of ``pipelines/<name>.yaml`` whose paths point to ``raw`` and ``processed``.

    ``lean=True`` drops the national sources, the index, the report and the access stage (see
    :data:`LEAN_SOURCES`), and with them the statistics of their variables (population change and density stay).
    """
    text = (ROOT / "pipelines" / f"{name}.yaml").read_text(encoding="utf-8")
    if lean:
        doc = yaml.safe_load(text)
        doc["sources"] = {k: v for k, v in doc["sources"].items() if k in LEAN_SOURCES}
        doc.pop("index", None)
        doc.pop("report", None)
        doc.pop("access", None)
        st = doc.setdefault("statistics", {})
        st["variables"] = [v for v in st.get("variables", []) if v in ("pop_change_pct", "density")]
        st.pop("bivariate", None)
        st.pop("rates", None)
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    text = text.replace("../data/raw/catalogue.yaml", str(CATALOGUE))
    text = text.replace("../data/raw", str(raw)).replace("../data/processed", str(processed))
    text = text.replace("targets: targets/", f"targets: {ROOT / 'pipelines' / 'targets'}/")
    for old, new in replace.items():
        text = text.replace(old, new)
    out = dest / f"{name}.yaml"
    out.write_text(text, encoding="utf-8")
    return out


def demo_project(raw_dir: Path, work: Path, pipeline_files: tuple[str, ...]) -> Path:
    """A temporary project for a demonstration pipeline, as a fresh clone has it: its own ``data/raw`` (the
    bundle's files linked, the catalogue copied, so that imports write there and not into the repo) and the given
    files of ``pipelines/`` (``"registers_demo.yaml"``, ``"targets/registers_demo.yaml"``). Returns ``work``."""
    raw = work / "data" / "raw"
    raw.mkdir(parents=True)
    for entry in raw_dir.iterdir():
        (raw / entry.name).symlink_to(entry)
    (raw / "catalogue.yaml").write_text(CATALOGUE.read_text(encoding="utf-8"), encoding="utf-8")
    for rel in pipeline_files:
        target = work / "pipelines" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((ROOT / "pipelines" / rel).read_text(encoding="utf-8"), encoding="utf-8")
    (work / "pyproject.toml").write_text("", encoding="utf-8")
    return work


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``spatial-poverty`` command in a subprocess, as a scheduler would."""
    exe = shutil.which("spatial-poverty", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "spatial_poverty"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, cwd=cwd, check=False)


@pytest.fixture(scope="session")
def south_aegean_run(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The South Aegean pipeline run once through the CLI; returns its published folder."""
    work = tmp_path_factory.mktemp("sa")
    cfg = pipeline_copy("south_aegean", raw_dir, work / "processed", work)
    proc = run_cli("run", str(cfg))
    assert proc.returncode == 0, proc.stderr
    return work / "processed" / "south_aegean"


@pytest.fixture(scope="session")
def central_macedonia_run(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Central Macedonia pipeline as shipped, run once through the CLI; returns its published folder."""
    work = tmp_path_factory.mktemp("cm")
    cfg = pipeline_copy("central_macedonia", raw_dir, work / "processed", work)
    proc = run_cli("run", str(cfg))
    assert proc.returncode == 0, proc.stderr
    return work / "processed" / "central_macedonia"


# ----------------------------------------------------------------------------------------------- headless browser
#: Seconds a browser test waits for a page or an element.
BROWSER_TIMEOUT_S = 30


def _find(*names: str) -> str | None:
    for n in names:
        path = shutil.which(n)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium through chromedriver (selenium), offline: no host resolves, CDP says offline."""
    chrome = _find("chromium", "chromium-browser")
    driver_path = _find("chromedriver")
    if not chrome or not driver_path:
        msg = "headless Chromium is not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1200,900",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
        "--no-first-run",
        "--disable-background-networking",
        "--lang=el",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # page errors, read by _page_errors
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    driver.set_page_load_timeout(BROWSER_TIMEOUT_S)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
    )
    try:
        yield driver
    finally:
        driver.quit()
