"""The data catalogue and ``data sync``: checksums verified, nothing half-copied, clear errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from spatial_poverty.errors import ConfigError, DataSourceError
from spatial_poverty.ingest.catalogue import default_bundle_dir, load_catalogue, sha256_file, sync, verify

from .conftest import CATALOGUE, ROOT


def _fake_bundle(tmp_path: Path) -> tuple[Path, Path]:
    """A small bundle made by the test (two text files) and a catalogue describing it."""
    bundle = tmp_path / "bundle"
    (bundle / "a").mkdir(parents=True)
    files = {"a/one.csv": "code;value\n0101;1\n", "two.json": '{"x": 1}\n'}
    sources = []
    for i, (rel, text) in enumerate(files.items()):
        (bundle / rel).write_text(text, encoding="utf-8")
        sources.append(
            {
                "id": f"src_{i}",
                "path": rel,
                "title": "t",
                "publisher": "Test publisher",
                "landing_page": "https://example.org/data",
                "licence": "CC0",
                "attribution": "test",
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
                "format": "text",
                "encoding": "UTF-8",
                "code_system": "none",
                "crs": "none",
            }
        )
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(yaml.safe_dump({"version": 1, "sources": sources}), encoding="utf-8")
    return bundle, cat


def test_repository_catalogue_is_valid_and_complete():
    cat = load_catalogue(CATALOGUE)
    ids = cat.ids
    assert "elstat_2021_municipalities" in ids and "elstat_2021_population" in ids
    assert len(ids) == len(set(ids))
    for s in cat.sources:
        if s.origin == "import":  # the observatory's own files (data/raw/catalogue.local.yaml), not the repository's
            continue
        assert s.landing_page.startswith("http"), s.id
        assert s.licence and s.attribution and s.encoding and s.code_system, s.id


def test_repository_catalogue_matches_the_bundle(bundle):
    cat = load_catalogue(CATALOGUE)
    for s in cat.sources:
        if s.origin == "import":
            continue
        assert sha256_file(bundle / s.path) == s.sha256, s.path
    data_files = {
        p.relative_to(bundle).as_posix()
        for p in bundle.rglob("*")
        if p.is_file() and p.suffix != ".md" and not p.name.startswith("LICENSE")
    }
    assert data_files == {s.path for s in cat.sources if s.origin == "bundle"}


def test_sync_copies_verifies_and_is_idempotent(tmp_path):
    bundle, cat_path = _fake_bundle(tmp_path)
    cat = load_catalogue(cat_path)
    raw = tmp_path / "raw"
    report = sync(cat, bundle, raw)
    assert sorted(report.copied) == ["src_0", "src_1"]
    assert (raw / "a" / "one.csv").read_text(encoding="utf-8").startswith("code")
    assert oct((raw / "a" / "one.csv").stat().st_mode & 0o777) == oct(0o444)
    again = sync(cat, bundle, raw)
    assert again.copied == [] and sorted(again.unchanged) == ["src_0", "src_1"]
    assert verify(cat, raw) == {s.id: s.sha256 for s in cat.sources}
    assert not list(raw.rglob("*.part"))


def test_sync_refuses_a_changed_file_and_copies_nothing(tmp_path):
    bundle, cat_path = _fake_bundle(tmp_path)
    (bundle / "two.json").write_text('{"x": 2}\n', encoding="utf-8")
    raw = tmp_path / "raw"
    with pytest.raises(DataSourceError, match=r"two\.json \(source src_1\) has SHA-256 .* expects") as info:
        sync(load_catalogue(cat_path), bundle, raw)
    assert "https://example.org/data" in str(info.value)
    assert not raw.exists() or not any(raw.rglob("*"))


def test_sync_names_a_missing_file_and_where_to_get_it(tmp_path):
    bundle, cat_path = _fake_bundle(tmp_path)
    (bundle / "a" / "one.csv").unlink()
    with pytest.raises(
        DataSourceError,
        match=r"a/one\.csv \(source src_0\) is missing .*Test publisher, https://example\.org/data",
    ):
        sync(load_catalogue(cat_path), bundle, tmp_path / "raw")


def test_verify_reports_missing_and_changed(tmp_path):
    bundle, cat_path = _fake_bundle(tmp_path)
    cat = load_catalogue(cat_path)
    raw = tmp_path / "raw"
    sync(cat, bundle, raw)
    target = raw / "two.json"
    target.chmod(0o644)
    target.write_text("changed", encoding="utf-8")
    (raw / "a" / "one.csv").chmod(0o644)
    (raw / "a" / "one.csv").unlink()
    with pytest.raises(DataSourceError) as info:
        verify(cat, raw)
    msg = str(info.value)
    assert "one.csv (source src_0) is missing; run `spatial-poverty data sync`" in msg
    assert "two.json (source src_1) has SHA-256" in msg


def test_missing_bundle_folder(tmp_path):
    _, cat_path = _fake_bundle(tmp_path)
    with pytest.raises(DataSourceError, match="does not exist; pass --from DIR or set"):
        sync(load_catalogue(cat_path), tmp_path / "nowhere", tmp_path / "raw")


def test_catalogue_schema_errors(tmp_path):
    bad = tmp_path / "c.yaml"
    bad.write_text("version: 1\nsources:\n  - id: x\n    path: p\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="does not match the schema"):
        load_catalogue(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_catalogue(tmp_path / "none.yaml")
    cat = load_catalogue(CATALOGUE)
    with pytest.raises(ConfigError, match="unknown data source 'nope'"):
        cat["nope"]


def test_default_bundle(monkeypatch, tmp_path):
    monkeypatch.delenv("SPATIAL_POVERTY_BUNDLE", raising=False)
    assert default_bundle_dir(ROOT) == ROOT.parent / "shared" / "data"
    monkeypatch.setenv("SPATIAL_POVERTY_BUNDLE", str(tmp_path))
    assert default_bundle_dir(ROOT) == tmp_path
