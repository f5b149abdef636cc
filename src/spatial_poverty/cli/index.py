"""``spatial-poverty index build``: a composite deprivation index on any vector file or CSV, with the rank
uncertainty of the pipeline's index stage (Monte Carlo over weights, normalisation and aggregation).

The indicators are given on the command line (``--indicator unemp@employment --indicator -income@income``: a
leading ``-`` when a higher value means less deprivation) or as a YAML file with the pipeline's ``index:``
section (``--spec``). The output is the pipeline's ``deprivation_index`` table (score, rank, decile, domain
scores, rank_p05/p50/p95, p_worst_decile, unreliable) under the input's id field: a layer with the input's
geometry (a GeoPackage, with ``--style`` the project's QGIS style) or a CSV. A JSON summary is printed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["index_app"]

index_app = typer.Typer(
    help="A composite deprivation index on any file: index build (score, rank, deciles, rank uncertainty).",
    no_args_is_help=True,
)

#: Columns read besides the indicators, when the input has them (labels of the QGIS style).
NAME_FIELDS = ("name_el", "name_en")


def parse_indicator(text: str) -> dict[str, Any]:
    """``[-]COLUMN[@DOMAIN][*WEIGHT]`` as an :class:`~spatial_poverty.indices.IndicatorSpec` mapping."""
    body, _, weight = text.partition("*")
    body, _, domain = body.partition("@")
    direction = -1 if body.startswith("-") else 1
    column = body.lstrip("-").strip()
    if not column:
        raise typer.BadParameter(f"{text!r}: expected [-]COLUMN[@DOMAIN][*WEIGHT], for example -income@income")
    out: dict[str, Any] = {"column": column, "direction": direction}
    if domain:
        out["domain"] = domain.strip()
    if weight:
        try:
            out["weight"] = float(weight)
        except ValueError:
            raise typer.BadParameter(f"{text!r}: the weight after '*' needs to be a number") from None
    return out


def _spec(spec_file: Path | None, indicators: list[str], normalisation: str | None, runs: int | None) -> Any:
    import yaml
    from pydantic import ValidationError

    from spatial_poverty.errors import ConfigError
    from spatial_poverty.indices import IndexSpec

    if spec_file is not None and indicators:
        raise ConfigError("give the indicators with --indicator or in --spec, not both")
    if spec_file is not None:
        try:
            data = yaml.safe_load(spec_file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{spec_file}: not a readable YAML file: {exc}") from exc
        data = data.get("index", data) if isinstance(data, dict) else data
    elif indicators:
        data = {"indicators": [parse_indicator(t) for t in indicators]}
    else:
        raise ConfigError("no indicator: give --indicator COLUMN (repeated) or --spec INDEX.yaml")
    if not isinstance(data, dict):
        raise ConfigError(f"{spec_file}: expected the mapping of an index: section")
    if normalisation:
        data.setdefault("normalisation", {})["method"] = normalisation
    if runs is not None:
        data.setdefault("uncertainty", {})["runs"] = runs
    try:
        return IndexSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{spec_file or '--indicator'}: {where}: {first['msg']}") from exc


def _read(path: Path, id_field: str, columns: list[str], layer: str | None) -> Any:
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    from spatial_poverty.errors import DataSourceError, IngestError

    if not path.is_file():
        raise DataSourceError(f"input file {path} does not exist")
    if path.suffix.lower() in (".csv", ".txt"):
        frame = pd.read_csv(path, dtype={id_field: str})
    else:
        try:
            frame = gpd.read_file(path, layer=layer)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise DataSourceError(f"{path}: not a readable vector file: {exc}") from exc
    missing = [c for c in [id_field, *columns] if c not in frame.columns]
    if missing:
        raise IngestError(f"{path}: no field(s) {missing}; the fields are {[c for c in frame.columns]}")
    ids = frame[id_field].astype(str)
    if ids.duplicated().any():
        raise IngestError(f"{path}: id {ids[ids.duplicated()].iloc[0]!r} appears more than once in {id_field!r}")
    frame.index = pd.Index(ids, name=id_field)
    return frame


@index_app.command("build")
def build(
    input_: Annotated[Path, typer.Argument(metavar="INPUT", help="Vector file or CSV, one row per unit.")],
    id_field: Annotated[str, typer.Option("--id", help="Field with a unique id per unit (read as text).")],
    out: Annotated[Path, typer.Option("--out", help="Output: .gpkg (a layer, needs geometry) or .csv.")],
    indicator: Annotated[
        list[str] | None,
        typer.Option(
            "--indicator",
            help="[-]COLUMN[@DOMAIN][*WEIGHT], repeated: '-' when a higher value is less deprived (income).",
        ),
    ] = None,
    spec_file: Annotated[
        Path | None, typer.Option("--spec", help="YAML with a pipeline's index: section (recipes too).")
    ] = None,
    normalisation: Annotated[
        str | None, typer.Option("--normalisation", help="zscore, minmax, rank, ... (default: the spec's).")
    ] = None,
    runs: Annotated[int | None, typer.Option("--runs", min=0, help="Monte Carlo runs (default: the spec's).")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the Monte Carlo.")] = 12345,
    layer: Annotated[str | None, typer.Option("--layer", help="Layer of INPUT (default: the first).")] = None,
    style: Annotated[bool, typer.Option("--style", help="Store the project's QGIS style in the .gpkg.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output.")] = 0,
) -> None:
    """Build a composite deprivation index with its rank uncertainty: score, rank (1 = most deprived), decile,
    domain scores, rank_p05/p50/p95, p_worst_decile and unreliable, per unit."""
    from spatial_poverty.cli.common import configure_logging, errors

    configure_logging(verbose, False)
    with errors():
        summary = _build(input_, id_field, out, indicator or [], spec_file, normalisation, runs, seed, layer,
                         style, force)  # fmt: skip
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=float))


def _build(
    input_: Path,
    id_field: str,
    out: Path,
    indicators: list[str],
    spec_file: Path | None,
    normalisation: str | None,
    runs: int | None,
    seed: int,
    layer: str | None,
    style: bool,
    force: bool,
) -> dict[str, Any]:
    from spatial_poverty.errors import ExportError, OutputExistsError
    from spatial_poverty.indices import build_index, index_table, monte_carlo, prepare

    if out.suffix.lower() not in (".gpkg", ".csv"):
        raise ExportError(f"--out {out}: give a .gpkg (a layer) or a .csv")
    if style and out.suffix.lower() != ".gpkg":
        raise ExportError(f"--style stores the QGIS style in a GeoPackage; --out {out} is not a .gpkg")
    if out.exists() and not force:
        raise OutputExistsError(f"{out} exists; give --force to replace it")
    spec = _spec(spec_file, indicators, normalisation, runs)
    frame = _read(input_, id_field, spec.columns, layer)
    prep = prepare(frame, spec, source=str(input_))
    result = build_index(frame, spec, seed=seed, source=str(input_))
    unc = monte_carlo(prep, spec, seed=seed)
    table = index_table(result, unc, prep.imputed, spec)
    for name in reversed([c for c in NAME_FIELDS if c in frame.columns]):
        table.insert(0, name, frame[name].reindex(table.index))
    _write(out, frame, table, id_field, spec.name, style)
    return {
        "output": str(out),
        "layer": spec.name,
        "statistic": "index",
        "n": len(table),
        "seed": seed,
        "indicators": [i.model_dump(mode="json", exclude_none=True) for i in spec.indicators],
        "normalisation": spec.normalisation.method,
        "aggregation": spec.aggregation.model_dump(mode="json"),
        "weights": {c: round(float(w), 6) for c, w in result.weights.items()},
        "domain_weights": {d: round(float(w), 6) for d, w in result.domain_weights.items()},
        "most_deprived": [str(c) for c in table.index[:5]],
        "unreliable": int(table["unreliable"].astype(bool).sum()),
        "uncertainty": unc.to_dict(),
    }


def _write(out: Path, frame: Any, table: Any, id_field: str, name: str, style: bool) -> None:
    """The table as a CSV, or as the layer ``name`` of a GeoPackage with the input's geometry (and the style of
    the published ``deprivation_index`` layer)."""
    import geopandas as gpd

    from spatial_poverty.cli.common import atomic_write
    from spatial_poverty.csv_cells import neutralise_frame
    from spatial_poverty.errors import IngestError

    table = table.rename_axis(id_field).reset_index()
    if out.suffix.lower() == ".csv":
        text = neutralise_frame(table).to_csv(index=False, lineterminator="\n", float_format="%.10g")
        atomic_write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        return
    if not isinstance(frame, gpd.GeoDataFrame):
        raise IngestError(f"--out {out.name} draws the units: the input has no geometry (use --out X.csv)")
    gdf = gpd.GeoDataFrame(table, geometry=frame.geometry.reindex(table[id_field]).to_numpy(), crs=frame.crs)
    qml = None
    if style:
        from spatial_poverty.export.styles import layer_style

        qml = layer_style("deprivation_index", gdf).qml

    def write(tmp: Path) -> None:
        gdf.to_file(tmp, layer=name)
        if qml is not None:
            from spatial_poverty.export.tool_styles import store_default_style

            store_default_style(tmp, name, qml, description="spatial-poverty index build")

    atomic_write(out, write)
