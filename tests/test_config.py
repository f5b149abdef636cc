"""The pipeline schema: every shipped pipeline validates; mistakes are refused with their name."""

from pathlib import Path

import pytest

from spatial_poverty.errors import ConfigError
from spatial_poverty.pipeline import load_config

from .conftest import ROOT

MINIMAL = "name: test_run\ntitle: Τεστ\nseed: 1\n"


@pytest.mark.parametrize("name", ["south_aegean", "central_macedonia", "greece"])
def test_shipped_pipelines_validate(name):
    cfg = load_config(ROOT / "pipelines" / f"{name}.yaml")
    assert cfg.name == name
    assert cfg.output_dir == ROOT / "data" / "processed" / name
    assert cfg.resolve(cfg.paths.catalogue) == ROOT / "data" / "raw" / "catalogue.yaml"
    assert len(cfg.config_sha256) == 64


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_minimal_config_gets_defaults(tmp_path):
    cfg = load_config(_write(tmp_path, MINIMAL))
    assert cfg.weights.island_policy == "knn" and cfg.statistics.permutations == 999
    assert cfg.output_dir == (tmp_path / "../data/processed/test_run").resolve()


def test_misspelt_key_is_named_with_the_allowed_ones(tmp_path):
    p = _write(tmp_path, MINIMAL + "statistics:\n  permutatons: 99\n")
    with pytest.raises(
        ConfigError,
        match=r"unknown key 'statistics\.permutatons'; allowed here: variables, permutations, alpha",
    ):
        load_config(p)


def test_unknown_top_level_key(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown key 'sed'; allowed here: name, title, title_en, seed"):
        load_config(_write(tmp_path, MINIMAL + "sed: 3\n"))


def test_missing_and_bad_values(tmp_path):
    with pytest.raises(ConfigError, match="key 'seed' is required"):
        load_config(_write(tmp_path, "name: x\ntitle: t\n"))
    with pytest.raises(ConfigError, match=r"unknown NUTS 2 code\(s\) \['EL99'\]"):
        load_config(_write(tmp_path, MINIMAL + "area:\n  nuts2: [EL99]\n"))
    with pytest.raises(ConfigError, match=r"weights\.island_policy"):
        load_config(_write(tmp_path, MINIMAL + "weights:\n  island_policy: bridges\n"))
    # a variable of a stage the pipeline does not configure (no index section): refused, the made ones listed
    with pytest.raises(ConfigError, match=r"unknown statistics variable\(s\) \['deprivation_index'\]; this pipeline "
                       r"makes: pop_change_pct \(indicators\); density \(indicators\)"):  # fmt: skip
        load_config(_write(tmp_path, MINIMAL + "statistics:\n  variables: [deprivation_index]\n"))
    with pytest.raises(ConfigError, match=r"area.regional_units.0: Input should be a valid string \(found 58\)"):
        load_config(_write(tmp_path, MINIMAL + "area:\n  regional_units: [58]\n"))
    with pytest.raises(ConfigError, match="2-digit text codes"):
        load_config(_write(tmp_path, MINIMAL + "area:\n  regional_units: ['5']\n"))


def test_not_yaml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not a UTF-8 YAML file"):
        load_config(_write(tmp_path, "name: [unclosed\n"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "none.yaml")


def test_weights_and_statistics_sections(tmp_path):
    cfg = load_config(
        _write(
            tmp_path,
            MINIMAL + "weights:\n  kind: distance\n  threshold_m: 20000\n  island_policy: knn\n  k: 2\n"
            "statistics:\n  global_statistics: [moran, geary]\n  local_statistics: [lisa, gistar, local_geary]\n",
        )
    )
    assert cfg.weights.kind == "distance" and cfg.weights.threshold_m == 20000
    assert cfg.statistics.local_statistics == ["lisa", "gistar", "local_geary"]
    assert cfg.statistics.alternative == "two-sided" and cfg.statistics.correction == "bh"
    with pytest.raises(ConfigError, match="weights of kind 'distance' need threshold_m"):
        load_config(_write(tmp_path, MINIMAL + "weights:\n  kind: distance\n"))
    with pytest.raises(ConfigError, match="the island policy 'links' need links_file"):
        load_config(_write(tmp_path, MINIMAL + "weights:\n  island_policy: links\n"))
    with pytest.raises(ConfigError, match=r"statistics\.local_statistics\.0"):
        load_config(_write(tmp_path, MINIMAL + "statistics:\n  local_statistics: [hotspots]\n"))
