"""The notebook gallery (notebooks/*.py, jupytext "percent" scripts): each one executes with nbmake on a fresh
South Aegean run and shows at least one inline figure; ``make lab`` starts JupyterLab and the server answers.
The executed notebooks are kept as test artefacts (``build/test-artefacts/notebooks/``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbmake.nb_run import NotebookRun

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
REFERENCE = ROOT.parent / "shared" / "sae_reference"
#: What each notebook must print: the facts it is about.
EXPECTED = {
    "01_national_table_and_reform": ["332 municipalities after the join", "6 of 2011 were divided in 2019"],
    "02_spatial_autocorrelation_and_islands": ["34 isolates out of 34", "GlobalMoran refused"],
    "03_deprivation_index_uncertainty": ["300 runs", "older than 10 years"],
    "04_access_across_the_sea": ["need a ferry", "OpenStreetMap"],
    "05_small_area_estimation": ["sigma2_u = 0.0185503", "SYNTHETIC"],
    "06_reading_a_published_run": ["34 municipalities", "Moran's I"],
}


def artefacts() -> Path:
    d = Path(os.environ.get("SPATIAL_POVERTY_ARTEFACTS", ROOT / "build" / "test-artefacts")) / "notebooks"
    d.mkdir(parents=True, exist_ok=True)
    return d


def test_the_gallery_is_complete_and_paired():
    assert [p.stem for p in NOTEBOOKS] == sorted(EXPECTED)
    for path in NOTEBOOKS:
        text = path.read_text(encoding="utf-8")
        assert "formats: ipynb,py:percent" in text, path.name  # paired: Jupyter opens it, git diffs it
        assert "# %matplotlib inline" in text, path.name  # figures shown inline, whatever MPLBACKEND says
        nb = jupytext.read(path)
        markdown = [c for c in nb.cells if c.cell_type == "markdown"]
        assert markdown[0].source.startswith("# ("), path.name  # a title
        assert len(markdown) >= 4, path.name  # a narrative, not just code


def _outputs(nb: nbformat.NotebookNode) -> tuple[str, int]:
    text, images = [], 0
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            text.append(out.get("text", "") or out.get("data", {}).get("text/plain", ""))
            images += "image/png" in out.get("data", {})
    return "".join(text), images


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_with_inline_figures(path, south_aegean_run, monkeypatch, tmp_path):
    if not REFERENCE.is_dir():
        msg = f"the SAE reference data are not at {REFERENCE}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    monkeypatch.setenv("SPATIAL_POVERTY_PIPELINE", str(south_aegean_run.parent.parent / "south_aegean.yaml"))
    monkeypatch.setenv("SPATIAL_POVERTY_SAE_REFERENCE", str(REFERENCE))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    ipynb = tmp_path / f"{path.stem}.ipynb"
    jupytext.write(jupytext.read(path), ipynb)
    result = NotebookRun(ipynb, default_timeout=600).execute()
    nbformat.write(result.nb, artefacts() / ipynb.name)
    assert result.error is None, f"{path.name}: {result.error.summary}\n{result.error.trace[-3000:]}"
    text, images = _outputs(result.nb)
    assert images >= 1, f"{path.name}: no inline figure in the executed notebook"
    for expected in EXPECTED[path.stem]:
        assert expected in text, f"{path.name}: {expected!r} not in its output"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_starts_jupyterlab(tmp_path):
    port, token = _free_port(), "spatial-poverty-test"
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} --ServerApp.port_retries=0"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg")}
    proc = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        body, deadline = "", time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")[-3000:]  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=5) as r:
                    body = r.read().decode()
                    status = r.status
                break
            except OSError:
                time.sleep(0.5)
        assert body, "JupyterLab did not answer within 120 s"
        assert status == 200 and "JupyterLab" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=5) as r:
            listing = r.read().decode()
        assert "06_reading_a_published_run.py" in listing  # the server serves the gallery folder
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
