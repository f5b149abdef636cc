"""``spatial-poverty stats``: ad hoc spatial statistics on any vector file, for analysts and GIS staff.

Global statistics (``moran``, ``moran-rate``, ``geary``) print JSON (and write it to ``--out`` if given); local
statistics (``lisa``, ``gistar``) write a layer with the id field and their fields to ``--out`` (a GeoPackage,
GeoJSON or shapefile by extension; never overwritten without ``--force``, written whole or not at all).
Exit codes are the package's (see ``spatial-poverty --help``): 4 bad input, 5 output, 6 output exists,
7 a statistic cannot be computed (for example a unit with no neighbour).
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from spatial_poverty.cli.common import atomic_write, checked_table

__all__ = ["stats_app"]

logger = logging.getLogger(__name__)

stats_app = typer.Typer(
    help="Spatial statistics on any vector file: moran, moran-rate, geary (JSON), lisa, gistar (a layer).",
    no_args_is_help=True,
)


class AlternativeOpt(StrEnum):
    two_sided = "two-sided"
    greater = "greater"
    less = "less"


class TransformOpt(StrEnum):
    r = "r"
    b = "b"


class IslandOpt(StrEnum):
    none = "none"
    knn = "knn"
    keep = "keep"


class CorrectionOpt(StrEnum):
    bh = "bh"
    by = "by"
    bonferroni = "bonferroni"
    none = "none"


class SignificanceOpt(StrEnum):
    p = "p"
    q = "q"


def _check_weights(text: str) -> str:
    """Refuse a malformed --weights at parse time (usage error, exit 2); a file's existence is checked later."""
    if text.lower().endswith((".gal", ".gwt")):
        return text
    from spatial_poverty.stats.rules import parse_weights

    try:
        parse_weights(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return text


Input = Annotated[
    Path, typer.Argument(metavar="INPUT", help="Vector file (GeoPackage, shapefile, GeoJSON, ...).", show_default=False)
]
IdField = Annotated[str, typer.Option("--id", help="Field with a unique id per unit (matched as text).")]
VarField = Annotated[str, typer.Option("--var", help="Numeric field to analyse.")]
Weights = Annotated[
    str,
    typer.Option(
        "--weights",
        callback=_check_weights,
        help="queen, rook, knn:K, distance:D (map units), kernel:BANDWIDTH, or a FILE.gal / FILE.gwt whose ids "
        "are the --id field's values.",
    ),
]
Transform = Annotated[
    TransformOpt | None,
    typer.Option("--transform", help="r (row-standardised) or b (binary). Default: r, but b for gistar."),
]
Permutations = Annotated[int, typer.Option("--permutations", min=0, max=99999, help="Permutations.")]
Seed = Annotated[int, typer.Option("--seed", min=0, help="Seed of the permutations (same seed, same p-values).")]
Alt = Annotated[AlternativeOpt, typer.Option("--alternative", help="Alternative hypothesis of the p-values.")]
Out = Annotated[Path | None, typer.Option("--out", help="Output file (JSON for global, a layer for local).")]
Force = Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")]
Layer = Annotated[str | None, typer.Option("--layer", help="Layer of INPUT (default: the first).")]
Islands = Annotated[
    IslandOpt,
    typer.Option(
        "--island-policy",
        help="Units with no neighbour: none (refuse, exit 7), knn (link each to its --island-k nearest), keep "
        "(local statistics only: label them 'no neighbours').",
    ),
]
IslandK = Annotated[int, typer.Option("--island-k", min=1, help="Neighbours per isolate under --island-policy knn.")]
Alpha = Annotated[float, typer.Option("--alpha", min=0.0, max=1.0, help="Significance level of the labels.")]
Correction = Annotated[
    CorrectionOpt, typer.Option("--correction", help="q-values: bh (Benjamini-Hochberg), by, bonferroni or none.")
]
Significance = Annotated[
    SignificanceOpt | None,
    typer.Option(
        "--significance",
        help="What makes a unit significant: p (the pseudo p-value) or q (adjusted by --correction). Default: q, "
        "or p with --correction none.",
    ),
]
Style = Annotated[
    bool,
    typer.Option(
        "--style",
        help="Store the project's default QGIS style (palette, Greek aliases) in the output GeoPackage, so QGIS opens "
        "it styled (needs a .gpkg --out).",
    ),
]
Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")]


def _significance(significance: str | None, correction: str) -> str:
    """The rule in force: the option, else q when a correction is set (the significant units pass it)."""
    from spatial_poverty.errors import StatisticsError
    from spatial_poverty.stats.rules import default_significance

    rule = str(significance or default_significance(str(correction)))
    if rule not in ("p", "q"):
        raise StatisticsError(f"--significance needs to be p or q; {significance!r} was given instead")
    return rule


def _read(path: Path, id_field: str, fields: list[str], layer: str | None) -> Any:
    import geopandas as gpd
    import pyogrio

    from spatial_poverty.errors import DataSourceError, IngestError

    if not path.exists():
        raise DataSourceError(f"input file {path} does not exist")
    try:
        # Only the id field, the variables and the geometry are read.
        present = list(pyogrio.read_info(path, layer=layer)["fields"])
        for f in [id_field, *fields]:
            if f not in present:
                raise IngestError(f"{path}: no field {f!r}; the fields are {present}")
        gdf = gpd.read_file(path, layer=layer, columns=list(dict.fromkeys([id_field, *fields])))
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise DataSourceError(f"{path}: not a readable vector file: {exc}") from exc
    return checked_table(gdf, path, id_field, fields)


def _weights(gdf: Any, text: str, island: IslandOpt, island_k: int) -> tuple[Any, dict[str, Any]]:
    from spatial_poverty.stats import WeightsSpec, build_weights, link_isolates_knn, read_weights_file

    if text.lower().endswith((".gal", ".gwt")):
        graph = read_weights_file(text, gdf.index)
        report: dict[str, Any] = {"kind": "file", "file": text, "isolates": [str(i) for i in graph.isolates]}
        if island == IslandOpt.knn and len(graph.isolates):
            graph, added = link_isolates_knn(graph, gdf.geometry, k=island_k)
            report.update(island_policy="knn", k=island_k, links_added=[list(p) for p in added])
        report.update(n_components=int(graph.n_components), isolates_final=[str(i) for i in graph.isolates])
        _warn_components(report, island, island_k)
        return graph, report
    policy = "knn" if island == IslandOpt.knn else "none"
    spec = WeightsSpec.parse(text, island_policy=policy, island_k=island_k)
    graph, rep = build_weights(gdf, spec)
    _warn_components(rep.to_dict(), island, island_k)
    return graph, rep.to_dict()


def _warn_components(report: dict[str, Any], island: IslandOpt, island_k: int) -> None:
    """Say so when the weights leave the units in several separate groups (after --island-policy knn too)."""
    n = int(report.get("n_components", 1) or 1)
    if n <= 1:
        return
    from spatial_poverty.cli.common import err

    sizes = report.get("component_sizes") or []
    shown = ", ".join(str(x) for x in sizes[:10]) + (", ..." if len(sizes) > 10 else "")
    fix = (
        f"--island-k {island_k} links each isolate to its {island_k} nearest, not the groups to each other; "
        if island == IslandOpt.knn
        else ""
    )
    err.print(
        f"warning: the weights leave {n} separate groups of units (sizes {shown}): a unit is compared only with "
        f"units of its own group, and the global statistics mix groups that never meet. {fix}use a larger "
        "--island-k, distance or knn weights (--weights knn:K), or a links file to join them.",
        markup=False,
        highlight=False,
    )


def _isolates(island: IslandOpt, local: bool) -> str:
    if island == IslandOpt.keep and not local:
        from spatial_poverty.errors import StatisticsError

        raise StatisticsError(
            "--island-policy keep is for local statistics; a global statistic needs every unit to have a neighbour "
            "(use --island-policy knn)"
        )
    return "keep" if island == IslandOpt.keep else "raise"


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(type(o).__name__)


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def _check_out(out: Path | None, force: bool) -> None:
    from spatial_poverty.errors import OutputExistsError

    if out is not None and out.exists() and not force:
        raise OutputExistsError(f"{out} exists; give --force to replace it")


def _emit_json(result: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(result, ensure_ascii=False, indent=2, default=_json_default)
    typer.echo(text)
    if out is not None:
        atomic_write(out, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))


def _write_layer(gdf: Any, out: Path, layer: str, style: Callable[[Path], None] | None = None) -> None:
    """Write ``gdf`` as ``layer`` of ``out``, whole or not at all; ``style`` (a GeoPackage only) is applied to the
    temporary file before it takes ``out``'s place."""

    def write(tmp: Path) -> None:
        kwargs = {"layer": layer} if out.suffix.lower() == ".gpkg" else {}
        gdf.to_file(tmp, **kwargs)
        if style is not None:
            style(tmp)

    if out.suffix.lower() == ".shp":
        # A shapefile is several files: write them in a temporary folder, then move each.
        from spatial_poverty.errors import ExportError

        with tempfile.TemporaryDirectory(dir=out.parent if out.parent.exists() else None) as d:
            tmp = Path(d) / out.name
            try:
                gdf.to_file(tmp)
                for f in Path(d).iterdir():
                    os.replace(f, out.with_suffix(f.suffix))
            except OSError as exc:
                raise ExportError(f"could not write {out}: {exc}") from exc
        return
    atomic_write(out, write)


def _check_style(style: bool, target: Path) -> None:
    from spatial_poverty.errors import ExportError

    if style and target.suffix.lower() != ".gpkg":
        raise ExportError(f"--style stores the QGIS style in a GeoPackage; --out {target} is not a .gpkg")


def _styler(style: bool, tool: str, frame: Any, id_field: str, var: str) -> Callable[[Path], None] | None:
    """What ``--style`` does to the written GeoPackage (None without it)."""
    if not style:
        return None
    from spatial_poverty.export.tool_styles import store_default_style, tool_qml

    qml = tool_qml(tool, frame, id_field=id_field, var=var)
    layer = f"{tool}_{var}"
    return lambda path: store_default_style(path, layer, qml, description=f"spatial-poverty stats {tool}: {var}")


def _setup(verbose: int) -> None:
    from spatial_poverty.cli.common import configure_logging

    configure_logging(verbose, False)


def _global(
    kind: str,
    input_: Path,
    id_field: str,
    fields: list[str],
    weights: str,
    transform: TransformOpt | None,
    permutations: int,
    seed: int,
    alternative: AlternativeOpt,
    out: Path | None,
    force: bool,
    layer: str | None,
    island: IslandOpt,
    island_k: int,
) -> None:
    from spatial_poverty.stats import GearyC, GlobalMoran, MoranRate

    _check_out(out, force)
    _isolates(island, local=False)
    gdf = _read(input_, id_field, fields, layer)
    graph, report = _weights(gdf, weights, island, island_k)
    tr = (transform or TransformOpt.r).value
    alt: Any = alternative.value
    stat: Any
    if kind == "moran":
        stat = GlobalMoran(gdf[fields[0]], graph, permutations=permutations, seed=seed, alternative=alt, transform=tr)
    elif kind == "geary":
        stat = GearyC(gdf[fields[0]], graph, permutations=permutations, seed=seed, alternative=alt, transform=tr)
    else:
        if tr != "r":
            logger.warning("moran-rate uses row-standardised weights; --transform %s is ignored", tr)
        stat = MoranRate(gdf[fields[0]], gdf[fields[1]], graph, permutations=permutations, seed=seed, alternative=alt)
    result = {
        "input": str(input_),
        "id": id_field,
        "variables": fields,
        "transform": tr if kind != "moran-rate" else "r",
        **_clean(stat.to_dict()),
        "weights": report,
    }
    _emit_json(result, out)


@stats_app.command("moran")
def moran(
    input_: Input,
    id_field: IdField,
    var: VarField,
    weights: Weights = "queen",
    transform: Transform = None,
    permutations: Permutations = 999,
    seed: Seed = 12345,
    alternative: Alt = AlternativeOpt.two_sided,
    out: Out = None,
    force: Force = False,
    layer: Layer = None,
    island_policy: Islands = IslandOpt.none,
    island_k: IslandK = 1,
    verbose: Verbose = 0,
) -> None:
    """Global Moran's I: JSON with I, EI, z_norm, p_norm, z_rand, p_rand, p_sim."""
    _setup(verbose)
    from spatial_poverty.cli.common import errors as _errors

    with _errors():
        _global("moran", input_, id_field, [var], weights, transform, permutations, seed, alternative, out, force,
                layer, island_policy, island_k)  # fmt: skip


@stats_app.command("moran-rate")
def moran_rate(
    input_: Input,
    id_field: IdField,
    events: Annotated[str, typer.Option("--events", help="Field with the counts of events.")],
    base: Annotated[str, typer.Option("--base", help="Field with the population at risk.")],
    weights: Weights = "queen",
    transform: Transform = None,
    permutations: Permutations = 999,
    seed: Seed = 12345,
    alternative: Alt = AlternativeOpt.two_sided,
    out: Out = None,
    force: Force = False,
    layer: Layer = None,
    island_policy: Islands = IslandOpt.none,
    island_k: IslandK = 1,
    verbose: Verbose = 0,
) -> None:
    """Moran's I of the rate EVENTS/BASE with the Empirical-Bayes standardisation of Assunção & Reis (1999)."""
    _setup(verbose)
    from spatial_poverty.cli.common import errors as _errors

    with _errors():
        _global("moran-rate", input_, id_field, [events, base], weights, transform, permutations, seed, alternative,
                out, force, layer, island_policy, island_k)  # fmt: skip


@stats_app.command("geary")
def geary(
    input_: Input,
    id_field: IdField,
    var: VarField,
    weights: Weights = "queen",
    transform: Transform = None,
    permutations: Permutations = 999,
    seed: Seed = 12345,
    alternative: Alt = AlternativeOpt.two_sided,
    out: Out = None,
    force: Force = False,
    layer: Layer = None,
    island_policy: Islands = IslandOpt.none,
    island_k: IslandK = 1,
    verbose: Verbose = 0,
) -> None:
    """Geary's C: JSON with C, EC, z_norm, p_norm, z_rand, p_rand, p_sim."""
    _setup(verbose)
    from spatial_poverty.cli.common import errors as _errors

    with _errors():
        _global("geary", input_, id_field, [var], weights, transform, permutations, seed, alternative, out, force,
                layer, island_policy, island_k)  # fmt: skip


def _default_out(input_: Path, kind: str, var: str) -> Path:
    return input_.with_name(f"{input_.stem}_{kind}_{var}.gpkg")


@stats_app.command("lisa")
def lisa(
    input_: Input,
    id_field: IdField,
    var: VarField,
    weights: Weights = "queen",
    transform: Transform = None,
    permutations: Permutations = 999,
    seed: Seed = 12345,
    alternative: Alt = AlternativeOpt.two_sided,
    out: Out = None,
    force: Force = False,
    layer: Layer = None,
    island_policy: Islands = IslandOpt.none,
    island_k: IslandK = 1,
    alpha: Alpha = 0.05,
    correction: Correction = "bh",
    significance: Significance = None,
    style: Style = False,
    verbose: Verbose = 0,
) -> None:
    """Local Moran (LISA): a layer with the id field, lisa_i, lisa_p, lisa_q, lisa_cluster (GeoDa labels)."""
    _setup(verbose)
    from spatial_poverty.cli.common import errors as _errors

    with _errors():
        rule = _significance(significance, correction)
        target = out or _default_out(input_, "lisa", var)
        _check_out(target, force)
        _check_style(style, target)
        isolates = _isolates(island_policy, local=True)
        from spatial_poverty.cli import lisa_fast

        if lisa_fast.supports(weights, island_policy.value):
            summary = _lisa_lean(input_, id_field, var, weights, transform, permutations, seed, alternative, target,
                                 layer, island_policy, island_k, alpha, correction, isolates, rule, style)  # fmt: skip
            if summary is not None:
                typer.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=_json_default))
                return
        from spatial_poverty.stats import LocalMoran

        gdf = _read(input_, id_field, [var], layer)
        graph, report = _weights(gdf, weights, island_policy, island_k)
        if transform is not None and transform != TransformOpt.r:
            logger.warning("LISA uses row-standardised weights; --transform %s is ignored", transform.value)
        lm = LocalMoran(
            gdf[var], graph, permutations=permutations, seed=seed, alpha=alpha, alternative=alternative.value,
            correction=correction, isolates=isolates, significance=rule,  # type: ignore[arg-type]
        )  # fmt: skip
        frame = lm.to_frame()
        names = {"lisa_i": "local_i", "lisa_p": "p_sim", "lisa_q": "q_sim", "lisa_cluster": "cluster",
                 "lisa_quadrant": "quadrant", "lisa_z_sim": "z_sim"}  # fmt: skip
        layer_gdf = _local_layer(gdf, id_field, var, {k: frame[v].to_numpy() for k, v in names.items()})
        _write_layer(layer_gdf, target, f"lisa_{var}", _styler(style, "lisa", layer_gdf, id_field, var))
        summary = _local_summary(
            "lisa", target, var, lm.n, lm.counts(), report, permutations, seed, alternative, correction, alpha, rule
        )
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=_json_default))


def _lisa_lean(
    input_: Path,
    id_field: str,
    var: str,
    weights: str,
    transform: TransformOpt | None,
    permutations: int,
    seed: int,
    alternative: AlternativeOpt,
    target: Path,
    layer: str | None,
    island: IslandOpt,
    island_k: int,
    alpha: float,
    correction: str,
    isolates: str,
    rule: str,
    style: bool = False,
) -> dict[str, Any] | None:
    """``stats lisa`` on contiguity weights without libpysal (:mod:`spatial_poverty.cli.lisa_fast`); None when
    the general path is needed (isolates to link with ``--island-policy knn``)."""
    from spatial_poverty.cli import lisa_fast

    data = lisa_fast.lean_input(input_, id_field, [var], layer)
    ids = data.frame.index
    built = lisa_fast.lean_weights(ids, data.geometry, weights, island_policy=island.value, island_k=island_k)
    if built is None:
        return None
    w, report = built
    if transform is not None and transform != TransformOpt.r:
        logger.warning("LISA uses row-standardised weights; --transform %s is ignored", transform.value)
    lm = lisa_fast.lean_lisa(
        data.frame[var].to_numpy(), w, ids, permutations=permutations, seed=seed, alpha=alpha,
        alternative=alternative.value, correction=correction, isolates=isolates, significance=rule,
    )  # fmt: skip
    columns = {
        id_field: ids.to_numpy(dtype=object),
        var: data.frame[var].to_numpy(),
        "lisa_i": lm.local_i,
        "lisa_p": lm.p_sim,
        "lisa_q": lm.q_sim,
        "lisa_cluster": lm.cluster.astype(object),
        "lisa_quadrant": lm.quadrant,
        "lisa_z_sim": lm.z_sim,
    }
    name = f"lisa_{var}"
    if target.suffix.lower() == ".gpkg":
        styler = _styler(style, "lisa", _columns_frame(columns), id_field, var)

        def write(tmp: Path) -> None:
            lisa_fast.write_gpkg_layer(tmp, name, columns, data)
            if styler is not None:
                styler(tmp)

        atomic_write(target, write)
    else:
        import geopandas as gpd

        _write_layer(gpd.GeoDataFrame(columns, geometry=data.geometry, crs=data.crs), target, name)
    return _local_summary(
        "lisa", target, var, lm.n, lm.counts, report, permutations, seed, alternative, correction, alpha, rule
    )


def _columns_frame(columns: dict[str, Any]) -> Any:
    import pandas as pd

    return pd.DataFrame(columns)


def _local_summary(
    statistic: str,
    target: Path,
    var: str,
    n: int,
    counts: dict[str, int],
    report: Any,
    permutations: int,
    seed: int,
    alternative: AlternativeOpt,
    correction: str,
    alpha: float,
    rule: str,
    *,
    counts_key: str = "clusters",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON summary a local statistic prints (``stats lisa`` the same on its lean and general paths)."""
    return {
        "output": str(target),
        "layer": f"{statistic}_{var}",
        "statistic": statistic,
        "n": n,
        **(extra or {}),
        "permutations": permutations,
        "seed": seed,
        "alternative": alternative.value,
        "correction": correction,
        "alpha": alpha,
        "significance": rule,
        counts_key: counts,
        "weights": report,
    }


def _local_layer(gdf: Any, id_field: str, var: str, fields: dict[str, Any]) -> Any:
    """The layer a local statistic writes: the id field, the variable, the statistic's ``fields``, the geometry."""
    layer_gdf = gdf[[var, "geometry"]].copy()
    layer_gdf.insert(0, id_field, gdf.index.to_numpy())
    return layer_gdf.assign(**fields).reset_index(drop=True)


@stats_app.command("gistar")
def gistar(
    input_: Input,
    id_field: IdField,
    var: VarField,
    weights: Weights = "queen",
    transform: Transform = None,
    permutations: Permutations = 999,
    seed: Seed = 12345,
    alternative: Alt = AlternativeOpt.two_sided,
    out: Out = None,
    force: Force = False,
    layer: Layer = None,
    island_policy: Islands = IslandOpt.none,
    island_k: IslandK = 1,
    alpha: Alpha = 0.05,
    correction: Correction = "bh",
    significance: Significance = None,
    style: Style = False,
    verbose: Verbose = 0,
) -> None:
    """Getis-Ord Gi* hot spots (ArcGIS's formula): a layer with the id field, gi_z, gi_p, gi_bin, significant
    (gi_bin's levels from gi_p with --significance p, as ArcGIS; from the adjusted gi_q with q)."""
    _setup(verbose)
    from spatial_poverty.cli.common import errors as _errors
    from spatial_poverty.stats import GetisOrdLocal

    with _errors():
        rule = _significance(significance, correction)
        target = out or _default_out(input_, "gistar", var)
        _check_out(target, force)
        _check_style(style, target)
        isolates = _isolates(island_policy, local=True)
        gdf = _read(input_, id_field, [var], layer)
        graph, report = _weights(gdf, weights, island_policy, island_k)
        if transform == TransformOpt.r:
            logger.warning(
                "gistar --transform r: each unit's own weight is added before row-standardisation (every weight "
                "1/(k+1) with contiguity or k-nearest), as esda's G_Local(transform='R'); the z-score uses ArcGIS's "
                "variance for these weights, which differs from esda's Zs, and ArcGIS's own default is unstandardised "
                "(binary) weights, so these results differ from a default ArcGIS Hot Spot Analysis"
            )
        gi = GetisOrdLocal(
            gdf[var], graph, star=True, transform=(transform or TransformOpt.b).value, permutations=permutations,
            seed=seed, alternative=alternative.value, correction=correction, isolates=isolates, alpha=alpha,
            significance=rule,  # type: ignore[arg-type]
        )  # fmt: skip
        frame = gi.to_frame()
        layer_gdf = _local_layer(gdf, id_field, var, {c: frame[c].to_numpy() for c in frame.columns})
        _write_layer(layer_gdf, target, f"gistar_{var}", _styler(style, "gistar", layer_gdf, id_field, var))
        bins = frame["gi_bin"].value_counts().sort_index()
        summary = _local_summary(
            "gistar", target, var, gi.n, {str(int(k)): int(v) for k, v in bins.items()}, report, permutations, seed,
            alternative, correction, alpha, rule, counts_key="gi_bin_counts",
            extra={"transform": (transform or TransformOpt.b).value},
        )  # fmt: skip
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=_json_default))


@stats_app.command("local-geary")
def local_geary(
    input_: Input,
    id_field: IdField,
    var: VarField,
    weights: Weights = "queen",
    permutations: Permutations = 999,
    seed: Seed = 12345,
    alternative: Alt = AlternativeOpt.two_sided,
    out: Out = None,
    force: Force = False,
    layer: Layer = None,
    island_policy: Islands = IslandOpt.none,
    island_k: IslandK = 1,
    alpha: Alpha = 0.05,
    correction: Correction = "bh",
    significance: Significance = None,
    style: Style = False,
    verbose: Verbose = 0,
) -> None:
    """Local Geary (Anselin 2019, esda's scale): a layer with the id field, geary_c, geary_p, geary_q,
    geary_cluster (GeoDa labels: High-High, Low-Low, Other Positive, Negative)."""
    _setup(verbose)
    from spatial_poverty.cli.common import errors as _errors
    from spatial_poverty.stats import LocalGeary

    with _errors():
        rule = _significance(significance, correction)
        target = out or _default_out(input_, "local_geary", var)
        _check_out(target, force)
        _check_style(style, target)
        isolates = _isolates(island_policy, local=True)
        gdf = _read(input_, id_field, [var], layer)
        graph, report = _weights(gdf, weights, island_policy, island_k)
        lg = LocalGeary(
            gdf[var], graph, permutations=permutations, seed=seed, alpha=alpha, alternative=alternative.value,
            correction=correction, isolates=isolates, significance=rule,  # type: ignore[arg-type]
        )  # fmt: skip
        frame = lg.to_frame()
        names = {"geary_c": "local_c", "geary_p": "p_sim", "geary_q": "q_sim", "geary_cluster": "cluster"}
        layer_gdf = _local_layer(gdf, id_field, var, {k: frame[v].to_numpy() for k, v in names.items()})
        _write_layer(layer_gdf, target, f"local_geary_{var}", _styler(style, "local_geary", layer_gdf, id_field, var))
        counts = {str(k): int(v) for k, v in frame["cluster"].value_counts().sort_index().items()}
        summary = _local_summary(
            "local_geary", target, var, lg.n, counts, report, permutations, seed, alternative, correction, alpha, rule
        )
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=_json_default))


@stats_app.command("weights")
def weights_report(
    input_: Input,
    id_field: IdField,
    weights: Weights = "queen",
    out: Out = None,
    force: Force = False,
    layer: Layer = None,
    island_policy: Islands = IslandOpt.knn,
    island_k: IslandK = 3,
    verbose: Verbose = 0,
) -> None:
    """The weights and what the island policy did (JSON: isolates, links added, components); with a .gpkg --out,
    also a line layer ``weights_links`` (centroid to centroid) whose ``origin`` says which links the island policy
    added."""
    _setup(verbose)
    from spatial_poverty.cli.common import errors as _errors

    with _errors():
        if out is not None and out.suffix.lower() not in (".gpkg", ".json"):
            from spatial_poverty.errors import ExportError

            raise ExportError(f"--out {out}: give a .json (the report) or a .gpkg (the report and the links)")
        _check_out(out, force)
        gdf = _read(input_, id_field, [], layer)
        graph, report = _weights(gdf, weights, island_policy, island_k)
        result = {"input": str(input_), "id": id_field, "weights": report}
        if out is not None and out.suffix.lower() == ".gpkg":
            links = _links_layer(gdf, graph, report)
            result["links"] = {"layer": "weights_links", "n": len(links), "output": str(out)}
            _write_layer(links, out, "weights_links")
            typer.echo(json.dumps(result, ensure_ascii=False, indent=2, default=_json_default))
            return
        _emit_json(result, out)


def _links_layer(gdf: Any, graph: Any, report: dict[str, Any]) -> Any:
    """Each undirected link once, as a line between the units' points on surface; ``origin`` is ``island policy``
    for the links the policy added, else the base weights' kind."""
    import geopandas as gpd
    from shapely import LineString

    added = {tuple(sorted(map(str, p))) for p in report.get("links_added", [])}
    points = gdf.geometry.representative_point()
    adj = graph.adjacency.reset_index()
    adj.columns = ["focal", "neighbor", "weight"]
    adj = adj[adj["focal"].astype(str) < adj["neighbor"].astype(str)]
    pairs = list(zip(adj["focal"].astype(str), adj["neighbor"].astype(str), strict=True))
    where = {str(k): p for k, p in points.items()}
    return gpd.GeoDataFrame(
        {
            "from_id": [a for a, _ in pairs],
            "to_id": [b for _, b in pairs],
            "origin": ["island policy" if p in added else str(report.get("kind", "weights")) for p in pairs],
        },
        geometry=[LineString([where[a], where[b]]) for a, b in pairs],
        crs=gdf.crs,
    )
