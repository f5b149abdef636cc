"""The notebook runs against a real published GeoPackage and reproduces its LISA."""

from __future__ import annotations

import jupytext
import pytest
from nbclient import NotebookClient

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_notebook_reproduces_the_published_lisa(south_aegean_run, monkeypatch):
    pipeline = south_aegean_run.parent.parent / "south_aegean.yaml"
    assert pipeline.is_file()
    monkeypatch.setenv("SPATIAL_POVERTY_PIPELINE", str(pipeline))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = jupytext.read(ROOT / "notebooks" / "south_aegean_lisa.py")
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}
    )
    client.execute()  # the kernel inherits the environment set above
    outputs = "".join(
        o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
    )
    assert "34 municipalities" in outputs
    assert "Moran's I" in outputs
    errors = [o for cell in nb.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
