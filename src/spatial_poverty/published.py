"""A published run as data: ``spatial_poverty.open_run(path)`` for researchers who start from a run, not from files.

::

    import spatial_poverty as sp

    run = sp.open_run("data/processed/south_aegean")  # the run's folder, its GeoPackage or its pipeline file
    run.layers                     # the published layers, in the GeoPackage's order
    gdf = run["lisa_unemp_2001"]   # a GeoDataFrame (a DataFrame for a table), indexed as published
    gdf.attrs["units"]             # {"value": "%", ...} from the exchange schema
    run.provenance                 # where each field comes from: source, attribution, data year, method
    run.manifest["statistics"]     # what the run computed, with its seeds and inference settings
    run.verify()                   # the files still match the manifest's SHA-256

Every layer read carries its metadata in ``.attrs``: the run id and pipeline, the layer's titles and description
(the data years and sources, as published), the fields' Greek and English aliases and units, and the provenance
rows of its fields. Nothing is written; a run still being published (no manifest yet) is refused.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from spatial_poverty.errors import DataSourceError

__all__ = ["PublishedRun", "open_run"]

MANIFEST = "manifest.json"


def _folder(path: Path) -> Path:
    """The run folder named by ``path``: the folder itself, the folder of its GeoPackage, or a pipeline's."""
    if not path.exists():
        raise DataSourceError(f"{path} does not exist; give a run's folder (data/processed/<name>), its .gpkg or "
                              "the pipeline's .yaml")  # fmt: skip
    if path.is_dir():
        return path
    if path.suffix.lower() == ".gpkg":
        return path.parent
    if path.suffix.lower() in (".yaml", ".yml"):
        from spatial_poverty.pipeline import load_config

        return load_config(path).output_dir
    raise DataSourceError(f"{path}: expected a run's folder, its .gpkg or a pipeline .yaml; got a {path.suffix} file")


class PublishedRun:
    """One published run, read-only. Layers are read on first use and kept."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        manifest = folder / MANIFEST
        if not manifest.is_file():
            raise DataSourceError(
                f"{folder} is not a published run: it has no {MANIFEST} (a run publishes it last, so a folder "
                "without it was never published whole)"
            )
        try:
            self.manifest: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataSourceError(f"{manifest}: not valid JSON (line {exc.lineno}): {exc.msg}") from exc
        self.name: str = self.manifest.get("pipeline", folder.name)
        self.gpkg = folder / f"{self.name}.gpkg"
        if not self.gpkg.is_file():
            raise DataSourceError(f"{folder}: the run's GeoPackage {self.gpkg.name} is missing")
        self._contents = self._read_contents()
        self._cache: dict[str, pd.DataFrame] = {}
        self._provenance: pd.DataFrame | None = None

    def _read_contents(self) -> dict[str, tuple[str, str]]:
        con = sqlite3.connect(f"file:{self.gpkg}?mode=ro", uri=True)
        try:
            rows = con.execute(
                "SELECT table_name, data_type, COALESCE(description, '') FROM gpkg_contents ORDER BY rowid"
            ).fetchall()
        finally:
            con.close()
        return {t: (kind, desc) for t, kind, desc in rows if t != "layer_styles"}

    # ------------------------------------------------------------------------------------------ what is there
    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id", ""))

    @property
    def title(self) -> str:
        return str(self.manifest.get("title", self.name))

    @property
    def layers(self) -> list[str]:
        """The published layers and tables, in the GeoPackage's order."""
        return list(self._contents)

    @property
    def figures(self) -> dict[str, list[Path]]:
        """The static figures, by name: their PNG and PDF files."""
        return {k: [self.folder / p for p in v] for k, v in (self.manifest.get("figures") or {}).items()}

    @property
    def provenance(self) -> pd.DataFrame:
        """``field_provenance``: source, attribution, data year and method of each field, indexed by field."""
        if "field_provenance" not in self._contents:
            return pd.DataFrame(columns=["source", "attribution", "data_year", "method"]).rename_axis("field")
        return self["field_provenance"].set_index("field")

    def __contains__(self, layer: object) -> bool:
        return layer in self._contents

    def __iter__(self) -> Iterator[str]:
        return iter(self._contents)

    def __len__(self) -> int:
        return len(self._contents)

    def __repr__(self) -> str:
        partial = ", PARTIAL" if self.manifest.get("partial") else ""
        return (
            f"PublishedRun({self.name!r}, run {self.run_id[:8]}, finished {self.manifest.get('finished_at')}, "
            f"{len(self.layers)} layers{partial})"
        )

    # ------------------------------------------------------------------------------------------ reading
    def __getitem__(self, layer: str) -> pd.DataFrame:
        return self.layer(layer)

    def layer(self, layer: str) -> pd.DataFrame:
        """A layer as a GeoDataFrame (a table as a DataFrame), with its metadata in ``.attrs``. A copy each time."""
        if layer not in self._contents:
            raise KeyError(f"{self.name}: no layer {layer!r}; the run published {', '.join(self.layers)}")
        if layer not in self._cache:
            self._cache[layer] = self._read(layer)
        frame = self._cache[layer].copy()
        frame.attrs = json.loads(json.dumps(self._cache[layer].attrs))
        return frame

    def _read(self, layer: str) -> pd.DataFrame:
        frame = self._frame(layer)
        frame.attrs = self.metadata(layer, list(frame.columns), self._contents[layer][1])
        return frame

    def _frame(self, layer: str) -> pd.DataFrame:
        """The layer as read, without metadata: a GeoDataFrame for features, a DataFrame for a table."""
        import geopandas as gpd

        frame = gpd.read_file(self.gpkg, layer=layer)
        if self._contents[layer][0] != "features":
            frame = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
        return frame

    def metadata(self, layer: str, columns: list[str] | None = None, description: str | None = None) -> dict[str, Any]:
        """The metadata of ``layer``: run, titles, description, aliases, units and provenance of its fields."""
        from spatial_poverty.errors import ExportError
        from spatial_poverty.export.schema import field_spec, layer_spec

        if columns is None:
            columns = self._columns(layer)
        meta: dict[str, Any] = {
            "run_id": self.run_id,
            "pipeline": self.name,
            "layer": layer,
            "description": description if description is not None else self._contents[layer][1],
            "seed": self.manifest.get("seed"),
        }
        try:
            spec = layer_spec(layer)
        except ExportError:  # not in the exchange schema: published as it is
            spec = None
        fields = [(c, field_spec(spec, c) if spec else None) for c in columns if c != "geometry"]
        meta.update(
            title_el=spec.title_el if spec else layer,
            title_en=spec.title_en if spec else layer,
            aliases_el={c: f.alias_el for c, f in fields if f},
            aliases_en={c: f.alias_en for c, f in fields if f},
            units={c: f.unit for c, f in fields if f and f.unit},
            provenance=self._field_provenance([c for c, _ in fields]),
            vintage={c: v for c, v in (self.manifest.get("vintage") or {}).items() if c in columns},
        )
        return meta

    def _columns(self, layer: str) -> list[str]:
        con = sqlite3.connect(f"file:{self.gpkg}?mode=ro", uri=True)
        try:
            return [r[1] for r in con.execute(f'PRAGMA table_info("{layer}")')]
        finally:
            con.close()

    def _field_provenance(self, columns: list[str]) -> dict[str, dict[str, Any]]:
        if "field_provenance" not in self._contents or not columns:
            return {}
        if self._provenance is None:
            self._provenance = self._frame("field_provenance")
        table = self._provenance
        rows = table[table["field"].isin(columns)]
        return {str(r["field"]): {k: _plain(v) for k, v in r.items() if k != "field"} for _, r in rows.iterrows()}

    # ------------------------------------------------------------------------------------------ integrity
    def verify(self) -> dict[str, str]:
        """Each output the manifest lists, checked against its SHA-256: ``{"path": "ok" | "changed" | "missing" |
        "not hashed"}`` (``run.log`` and the history records are written after the manifest's hashes)."""
        status = {}
        for entry in self.manifest.get("outputs") or []:
            path = self.folder / entry["path"]
            if not path.is_file():
                status[entry["path"]] = "missing"
                continue
            if entry.get("sha256") is None:
                status[entry["path"]] = "not hashed"
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            status[entry["path"]] = "ok" if digest == entry.get("sha256") else "changed"
        return status


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return None if isinstance(value, float) and value != value else value


def open_run(path: str | Path) -> PublishedRun:
    """Open a published run: its folder (``data/processed/<name>``), its GeoPackage, or its pipeline file.

    Raises
    ------
    DataSourceError
        If the path does not exist or is not a published run (no manifest, no GeoPackage).
    """
    return PublishedRun(_folder(Path(path)))
