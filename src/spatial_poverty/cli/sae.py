"""``spatial-poverty sae direct|fh``: survey direct estimates per domain, and the Fay-Herriot model on an area table.

Names of commands, options and output columns are interfaces other tools call (issue "Small-area estimation
engine"): ``sae direct`` writes ``domain, n, estimate, variance, se, cv, deff, n_eff``; ``sae fh`` writes
``id, direct, direct_variance, eblup, mse, cv, ci_low, ci_high, out_of_sample, gamma, quality`` and, beside
``OUT.csv``, ``OUT.json`` with ``method``, ``sigma2_u``, ``beta`` (the intercept named ``const``), ``loglik``,
``converged``. Outputs are written whole (a temporary file renamed) and never replaced without ``--force``; CSV
cells never start a formula. Bad data exit 4, a model that cannot be fitted 7 (``spatial_poverty.cli.common``).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["sae_app"]

sae_app = typer.Typer(
    help="Small-area estimation: survey direct estimates (sae direct) and the Fay-Herriot model (sae fh).",
    no_args_is_help=True,
)


class Statistic(StrEnum):
    mean = "mean"
    proportion = "proportion"
    total = "total"
    ratio = "ratio"


class ReplicateMethod(StrEnum):
    jk1 = "jk1"
    jkn = "jkn"
    brr = "brr"
    bootstrap = "bootstrap"


class LonelyPSU(StrEnum):
    fail = "fail"
    certainty = "certainty"
    adjust = "adjust"
    average = "average"


class FitMethod(StrEnum):
    reml = "reml"
    ml = "ml"
    adjusted = "adjusted"


class MSEMethod(StrEnum):
    analytic = "analytic"
    bootstrap = "bootstrap"


class Transform(StrEnum):
    none = "none"
    arcsin = "arcsin"


class BenchmarkMethod(StrEnum):
    ratio = "ratio"
    difference = "difference"


class Quality(StrEnum):
    eu = "eu"
    statcan = "statcan"


Force = Annotated[bool, typer.Option("--force", help="Replace OUT (and its JSON) if it exists.")]


def _read_table(path: Path, columns: list[str], *, layer: str | None = None) -> pd.DataFrame:
    """A CSV (UTF-8, comma or semicolon) or a GeoPackage/vector layer without geometry, all columns as text."""
    import pandas as pd

    from spatial_poverty.errors import IngestError

    if not path.is_file():
        raise IngestError(f"{path} does not exist")
    if path.suffix.lower() in (".csv", ".txt"):
        from spatial_poverty.ingest.sniff import decode_text

        text = decode_text(path.read_bytes(), "utf-8-sig", path)
        sep = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        import io

        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    else:
        import pyogrio

        frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise IngestError(f"{path}: column(s) {missing} are missing; the file has {list(frame.columns)}")
    return frame


def _numbers(frame: pd.DataFrame, column: str, path: Path, *, allow_empty: bool = True) -> np.ndarray:
    """A column as floats; an empty cell is NaN (if allowed), anything else that is not a number an error."""
    import numpy as np
    import pandas as pd

    from spatial_poverty.errors import IngestError

    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw):
        return raw.to_numpy(dtype=float)
    text = raw.astype(str).str.strip()
    vals = pd.to_numeric(text.where(text != "", None), errors="coerce")
    bad = vals.isna() & (text != "") | (vals.isna() & ~allow_empty)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(
            f"{path}, row {i + 2}, column {column!r}: {raw.iloc[i]!r}; expected a number with '.' as the decimal mark"
        )
    return vals.to_numpy(dtype=float)


def _write(out: Path, frame: pd.DataFrame, *, force: bool, summary: dict[str, Any] | None = None) -> None:
    from spatial_poverty.cli.common import atomic_write
    from spatial_poverty.csv_cells import neutralise_frame
    from spatial_poverty.errors import OutputExistsError

    targets = [out] + ([out.with_suffix(".json")] if summary is not None else [])
    for t in targets:
        if t.exists() and not force:
            raise OutputExistsError(f"{t} exists; give --force to replace it")
    writes = [(out, neutralise_frame(frame).to_csv(index=False, lineterminator="\n", float_format="%.10g"))]
    if summary is not None:
        writes.append((targets[1], json.dumps(summary, ensure_ascii=False, indent=2, default=float) + "\n"))
    for path, text in writes:
        atomic_write(path, lambda tmp, text=text: tmp.write_text(text, encoding="utf-8"))


#: The columns of ``sae fh``'s table that hold numbers (left empty for a suppressed area in a layer).
FH_NUMBERS = ("direct", "direct_variance", "eblup", "mse", "cv", "ci_low", "ci_high", "gamma")


def _fh_layer(areas: Path, layer: str | None, id_col: str, table: pd.DataFrame):  # type: ignore[no-untyped-def]
    """The areas' geometry with the estimates, in the areas' order; a suppressed area keeps its id, quality class
    and out_of_sample, and no number (it never appears as a number in a map)."""
    import geopandas as gpd

    from spatial_poverty.errors import IngestError

    if areas.suffix.lower() in (".csv", ".txt"):
        raise IngestError(f"--out .gpkg draws the areas: {areas} has no geometry (give a GeoPackage or vector file)")
    geo = gpd.read_file(areas, layer=layer, columns=[id_col])
    frame = table.assign(id=table["id"].astype(str)).set_index("id")
    frame.loc[frame["quality"] == "suppress", list(FH_NUMBERS)] = float("nan")
    frame = frame.reindex(geo[id_col].astype(str).to_numpy())
    frame.index.name = id_col
    return gpd.GeoDataFrame(frame.reset_index(), geometry=geo.geometry.to_numpy(), crs=geo.crs)


def _write_layer(out: Path, gdf: Any, *, force: bool, summary: dict[str, Any], style: bool) -> None:
    """OUT.gpkg (layer ``sae_fh``, with the QGIS style if asked) and OUT.json, each whole or not at all."""
    from spatial_poverty.cli.common import atomic_write
    from spatial_poverty.errors import OutputExistsError

    targets = [out, out.with_suffix(".json")]
    for t in targets:
        if t.exists() and not force:
            raise OutputExistsError(f"{t} exists; give --force to replace it")
    qml = None
    if style:
        from spatial_poverty.export.tool_styles import store_default_style, tool_qml

        qml = tool_qml("sae_fh", gdf, id_field=str(gdf.columns[0]))

    def write(tmp: Path) -> None:
        gdf.to_file(tmp, layer="sae_fh")
        if qml is not None:
            store_default_style(tmp, "sae_fh", qml, description="spatial-poverty sae fh")

    atomic_write(out, write)
    text = json.dumps(summary, ensure_ascii=False, indent=2, default=float) + "\n"
    atomic_write(targets[1], lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _spatial_weights(areas: Path, ids: pd.Index, weights: Path | None, layer: str | None):  # type: ignore[no-untyped-def]
    """The proximity matrix of the areas, rows in ``ids`` order: a GAL/GWT file, or for a GeoPackage the
    project's contiguity weights with the archipelago policy (queen, islands linked to their 3 nearest)."""
    import pandas as pd

    from spatial_poverty.errors import IngestError

    if weights is not None:
        from spatial_poverty.stats.weights import read_weights_file

        graph = read_weights_file(weights, pd.Index(ids.astype(str)))
    else:
        if areas.suffix.lower() in (".csv", ".txt"):
            raise IngestError("--spatial with a CSV needs --weights FILE.gal (a GeoPackage brings its geometry)")
        import geopandas as gpd

        from spatial_poverty.stats import WeightsSpec, build_weights

        gdf = gpd.read_file(areas, layer=layer)
        gdf.index = pd.Index(gdf[ids.name].astype(str), name=ids.name)
        graph, _ = build_weights(gdf.loc[ids], WeightsSpec(kind="queen", island_policy="knn", island_k=3))
    order = pd.Index(graph.unique_ids.astype(str)).get_indexer(ids.astype(str))
    return graph.sparse.tocsr()[order][:, order]  # sparse, rows in ids order


@sae_app.command("direct")
def direct(
    survey: Annotated[Path, typer.Argument(help="Survey microdata: CSV (one row per respondent) or a vector file.")],
    y: Annotated[str, typer.Option("--y", help="The variable (0/1 for a proportion).")],
    weight: Annotated[str, typer.Option("--weight", help="Column of the design weights.")],
    out: Annotated[Path, typer.Option("--out", help="Output CSV.")],
    domain: Annotated[
        str | None, typer.Option("--domain", help="Domain column (municipality, or code x group).")
    ] = None,
    strata: Annotated[str | None, typer.Option("--strata", help="Stratum column.")] = None,
    psu: Annotated[str | None, typer.Option("--psu", help="PSU column (nested in strata). Default: each row.")] = None,
    fpc: Annotated[
        str | None, typer.Option("--fpc", help="PSUs in the stratum's population (or fractions < 1).")
    ] = None,
    statistic: Annotated[
        Statistic, typer.Option("--statistic", help="mean, proportion, total or ratio.")
    ] = Statistic.mean,
    x: Annotated[str | None, typer.Option("--x", help="Denominator column of a ratio.")] = None,
    replicate_weights: Annotated[
        str | None, typer.Option("--replicate-weights", help="Prefix of the replicate weight columns (jkw_).")
    ] = None,
    replicate_method: Annotated[
        ReplicateMethod | None, typer.Option("--replicate-method", help="jk1, jkn, brr or bootstrap.")
    ] = None,
    replicate_scale: Annotated[float | None, typer.Option("--replicate-scale", help="Variance multiplier.")] = None,
    full_sample_centre: Annotated[
        bool, typer.Option("--full-sample-centre", help="Centre replicates on the full-sample estimate.")
    ] = False,
    lonely_psu: Annotated[LonelyPSU, typer.Option("--lonely-psu", help="Single-PSU strata.")] = LonelyPSU.fail,
    force: Force = False,
) -> None:
    """Direct estimates per domain with their design variance (Taylor or replicate weights)."""
    import numpy as np

    from spatial_poverty.cli.common import errors
    from spatial_poverty.errors import IngestError
    from spatial_poverty.sae import Design, direct_estimates

    with errors():
        cols = [y, weight, *(c for c in (domain, strata, psu, fpc, x) if c)]
        frame = _read_table(survey, cols)
        w = _numbers(frame, weight, survey, allow_empty=False)
        yv = _numbers(frame, y, survey)
        if replicate_weights:
            if replicate_method is None:
                raise IngestError("--replicate-weights needs --replicate-method (jk1, jkn, brr or bootstrap)")
            rcols = [c for c in frame.columns if c.startswith(replicate_weights)]
            if not rcols:
                raise IngestError(f"{survey}: no column starts with {replicate_weights!r}")
            reps = np.column_stack([_numbers(frame, c, survey, allow_empty=False) for c in rcols])
            design = Design.replicates(w, reps, method=replicate_method.value, scale=replicate_scale,  # type: ignore[arg-type]
                                       mse=full_sample_centre, source=str(survey))  # fmt: skip
        else:
            design = Design.taylor(
                w,
                strata=frame[strata].to_numpy() if strata else None,
                psu=frame[psu].to_numpy() if psu else None,
                fpc=_numbers(frame, fpc, survey, allow_empty=False) if fpc else None,
                lonely_psu=lonely_psu.value,  # type: ignore[arg-type]
                source=str(survey),
            )
        dom = frame[domain].to_numpy() if domain else None
        if dom is not None and len(set(dom)) == 1:
            dom = None  # a constant domain column: one overall row
        xv = _numbers(frame, x, survey) if x else None
        table = direct_estimates(design, yv, dom, statistic=statistic.value, x=xv)  # type: ignore[arg-type]
        _write(out, table.reset_index(), force=force)
    typer.echo(f"{out}: {len(table)} domain(s)")


@sae_app.command("fh")
def fh(
    areas: Annotated[Path, typer.Argument(help="Area table: CSV or GeoPackage (one row per area).")],
    id_col: Annotated[str, typer.Option("--id", help="Area id column (kept as text).")],
    direct_col: Annotated[str, typer.Option("--direct", help="Direct estimate column (empty: out of sample).")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Output CSV, or a GeoPackage (layer sae_fh with the areas' geometry; suppressed areas carry no "
            "number) when AREAS has geometry; OUT.json beside it.",
        ),
    ],
    covariates: Annotated[str, typer.Option("--covariates", help="Comma-separated covariate columns.")] = "",
    variance: Annotated[str | None, typer.Option("--variance", help="Sampling variance column.")] = None,
    method: Annotated[FitMethod, typer.Option("--method", help="reml, ml or adjusted.")] = FitMethod.reml,
    mse: Annotated[MSEMethod, typer.Option("--mse", help="analytic or bootstrap.")] = MSEMethod.analytic,
    bootstrap: Annotated[int, typer.Option("--bootstrap", min=10, help="Bootstrap replicates.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 12345,
    transform: Annotated[Transform, typer.Option("--transform", help="none or arcsin.")] = Transform.none,
    sample_size: Annotated[str | None, typer.Option("--sample-size", help="Effective sample size column.")] = None,
    no_intercept: Annotated[bool, typer.Option("--no-intercept", help="Fit without an intercept.")] = False,
    benchmark: Annotated[float | None, typer.Option("--benchmark", help="Regional figure to benchmark to.")] = None,
    benchmark_weights: Annotated[
        str | None, typer.Option("--benchmark-weights", help="Population column weighting the benchmark.")
    ] = None,
    benchmark_method: Annotated[
        BenchmarkMethod, typer.Option("--benchmark-method", help="ratio or difference.")
    ] = BenchmarkMethod.ratio,
    quality: Annotated[
        Quality, typer.Option("--quality", help="CV thresholds: eu (20/33.3 %) or statcan.")
    ] = Quality.eu,
    layer: Annotated[str | None, typer.Option("--layer", help="Layer of a GeoPackage.")] = None,
    spatial: Annotated[bool, typer.Option("--spatial", help="Spatial (SAR) Fay-Herriot model.")] = False,
    weights: Annotated[
        Path | None, typer.Option("--weights", help="GAL/GWT weights (default with a GeoPackage: the project's).")
    ] = None,
    force: Force = False,
    style: Annotated[
        bool,
        typer.Option("--style", help="With a .gpkg --out: store the QGIS style (quantile classes, suppressed grey)."),
    ] = False,
) -> None:
    """Fay-Herriot EBLUPs with their MSE, intervals and quality classes (``--spatial``: SAR area effects)."""
    import numpy as np
    import pandas as pd

    from spatial_poverty.cli.common import errors
    from spatial_poverty.errors import IngestError
    from spatial_poverty.sae.fh import QUALITY_THRESHOLDS, fit_fh

    with errors():
        covs = [c.strip() for c in covariates.split(",") if c.strip()]
        extra = [c for c in (variance, sample_size, benchmark_weights) if c]
        frame = _read_table(areas, [id_col, direct_col, *covs, *extra], layer=layer)
        ids = frame[id_col].astype(str)
        if ids.duplicated().any():
            raise IngestError(f"{areas}: area id {ids[ids.duplicated()].iloc[0]!r} appears more than once")
        data = pd.DataFrame({c: _numbers(frame, c, areas) for c in [direct_col, *covs, *extra]})
        data.index = pd.Index(ids, name=id_col)
        if variance:
            half = data[direct_col].isna() != data[variance].isna()
            if half.any():
                i = int(np.flatnonzero(half.to_numpy())[0])
                raise IngestError(
                    f"{areas}, row {i + 2}: area {ids.iloc[i]!r} has a direct estimate or a variance but not both"
                )
        w_matrix = _spatial_weights(areas, data.index, weights, layer) if spatial else None
        if benchmark is not None and not benchmark_weights:
            raise IngestError("--benchmark needs --benchmark-weights (the population of each area)")
        res = fit_fh(
            data, direct=direct_col, variance=variance, covariates=covs, intercept=not no_intercept,
            method=method.value, transform=transform.value, sample_size=sample_size, mse=mse.value,  # type: ignore[arg-type]
            bootstrap=bootstrap, seed=seed, population=benchmark_weights, benchmark_value=benchmark,
            benchmark_method=benchmark_method.value, thresholds=QUALITY_THRESHOLDS[quality.value], source=str(areas),  # type: ignore[arg-type]
            spatial_weights=w_matrix,
        )  # fmt: skip
        cols = ["direct", "direct_variance", "eblup", "mse", "cv", "ci_low", "ci_high", "out_of_sample", "gamma",
                "quality"]  # fmt: skip
        table = res.estimates[cols].rename_axis("id").reset_index()
        if out.suffix.lower() == ".gpkg":
            _write_layer(out, _fh_layer(areas, layer, id_col, table), force=force, summary=res.to_json(), style=style)
        else:
            if style:
                raise IngestError(f"--style stores the QGIS style in a GeoPackage; --out {out} is not a .gpkg")
            _write(out, table, force=force, summary=res.to_json())
    typer.echo(f"{out}: {len(table)} areas, sigma2_u {res.sigma2_u:.6g} ({res.method}), {res.iterations} iterations")
