"""The ``access:`` section of a pipeline: defaults, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from spatial_poverty.errors import ConfigError
from spatial_poverty.pipeline import load_config, plan

ROOT = Path(__file__).resolve().parents[1]

BASE = """name: t
title: "Τ"
seed: 1
sources:
  communities_2021: elstat_2021_communities_population
  settlements_2021: elstat_2021_settlements
  osm_points: osm_greece_2019_points
  marnet_nodes: marnet_greece_nodes
  marnet_edges: marnet_greece_edges
"""


def _load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    p = tmp_path / "p.yaml"
    p.write_text(text, encoding="utf-8")
    return load_config(p)


def test_shipped_pipelines_enable_access() -> None:
    for name in ("south_aegean", "central_macedonia"):
        cfg = load_config(ROOT / "pipelines" / f"{name}.yaml")
        assert cfg.access is not None and cfg.access.registry is None  # the OpenStreetMap stand-in
        assert cfg.access.thresholds_min == [15, 30, 60]
        assert any("access to services (OpenStreetMap stand-in" in step for step in plan(cfg))


def test_defaults_and_paths(tmp_path: Path) -> None:
    cfg = _load(tmp_path, BASE + "access:\n  registry: reg/services.xlsx\n  ferry_links: links.csv\n")
    a = cfg.access
    assert a is not None
    assert (a.catchment_min, a.duplicate_m, a.travel.ship_speed_knots, a.travel.season) == (30, 100, 15, "winter")
    assert cfg.resolve(a.registry) == (tmp_path / "reg" / "services.xlsx").resolve()
    assert cfg.resolve(a.ferry_links) == (tmp_path / "links.csv").resolve()
    assert _load(tmp_path, BASE).access is None


@pytest.mark.parametrize(
    ("section", "match"),
    [
        ("  service_types: [bakery]\n", r"unknown service type\(s\) \['bakery'\]"),
        ("  thresholds_min: [30, 15]\n", r"thresholds_min needs to be increasing minutes among"),
        ("  thresholds_min: [17]\n", r"thresholds_min needs to be increasing minutes among"),
        ("  travel:\n    ship_speed_knots: 0\n", r"ship_speed_knots"),
        ("  travel:\n    season: autumn\n", r"season"),
        ("  regsitry: x.csv\n", r"unknown key 'access.regsitry'; allowed here: registry"),
    ],
)
def test_bad_access_section_is_refused(tmp_path: Path, section: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        _load(tmp_path, BASE + "access:\n" + section)


def test_access_needs_its_sources(tmp_path: Path) -> None:
    text = BASE.replace("  osm_points: osm_greece_2019_points\n", "") + "access: {}\n"
    with pytest.raises(ConfigError, match=r"the access section needs sources .* missing \['osm_points'\]"):
        _load(tmp_path, text)
