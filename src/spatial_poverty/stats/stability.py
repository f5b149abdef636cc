r"""Stability of local statistics across weight specifications.

A hot spot that appears under queen contiguity but not under k-nearest neighbours is a property of the weights
as much as of the data. :func:`local_stability` runs the same local statistic under several graphs and reports,
per unit, the share of specifications in which it is significant:

.. math:: s_i = \frac{1}{|S|} \sum_{s \in S} \mathbf 1[\text{unit } i \text{ significant under spec } s]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
from libpysal.graph import Graph

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats.autocorrelation import LocalMoran
from spatial_poverty.stats.inference import Alternative, Correction, Significance
from spatial_poverty.stats.local_stats import GetisOrdLocal

__all__ = ["by_component", "local_stability"]


def local_stability(
    y: pd.Series,
    graphs: Mapping[str, Graph],
    *,
    statistic: Literal["lisa", "gistar"] = "lisa",
    permutations: int = 999,
    seed: int,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    correction: Correction = "bh",
    significance: Significance = "p",
) -> pd.DataFrame:
    """The same local statistic under several weight specifications; per unit, the share significant.

    Parameters
    ----------
    y : pandas.Series
        Indexed by code, like every graph's ids.
    graphs : mapping of str to libpysal.graph.Graph
        Specification name (used in column names, e.g. "queen", "knn4") to graph; at least two.
    statistic : {"lisa", "gistar"}
        LISA or Gi*, each unit significant as the statistic's ``significant`` says (``p_sim``, or for Gi* the
        normal p-value as ArcGIS, at most alpha; with ``significance="q"`` the adjusted ``q_sim``).
    permutations, seed, alpha, alternative, correction, significance
        As the statistic's; the same seed for every specification.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``y``: ``<stat>_<spec>`` (the cluster label or Gi bin under each spec),
        ``significant_<spec>`` (bool), ``share_significant`` in [0, 1] and ``n_specs``.
    """
    if len(graphs) < 2:
        raise StatisticsError(f"stability needs at least two weight specifications; {len(graphs)} were given")
    if statistic not in ("lisa", "gistar"):
        raise StatisticsError(f"statistic needs to be 'lisa' or 'gistar'; {statistic!r} was given instead")
    cols: dict[str, object] = {}
    sig = []
    kw = dict(permutations=permutations, seed=seed, alpha=alpha, alternative=alternative, correction=correction,
              significance=significance)  # fmt: skip
    for name, graph in graphs.items():
        if set(graph.unique_ids) != set(y.index):
            raise StatisticsError(f"the graph {name!r} needs the same ids as y")
        if statistic == "lisa":
            frame = LocalMoran(y, graph, **kw).to_frame().reindex(y.index)  # type: ignore[arg-type]
            cols[f"lisa_{name}"] = frame["cluster"].to_numpy()
        else:
            frame = GetisOrdLocal(y, graph, **kw).to_frame().reindex(y.index)  # type: ignore[arg-type]
            cols[f"gi_bin_{name}"] = frame["gi_bin"].to_numpy()
        s = frame["significant"].to_numpy(dtype=bool)
        cols[f"significant_{name}"] = s
        sig.append(s)
    out = pd.DataFrame(cols, index=y.index)
    out["share_significant"] = np.mean(np.vstack(sig), axis=0)
    out["n_specs"] = len(graphs)
    return out


def by_component(
    y: pd.Series,
    graph: Graph,
    *,
    statistic: Literal["lisa", "gistar"] = "lisa",
    min_size: int = 5,
    permutations: int = 999,
    seed: int,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    correction: Correction = "bh",
    significance: Significance = "p",
) -> pd.DataFrame:
    """A local statistic computed separately in each connected component (the island policy "components").

    Each component of at least ``min_size`` units is analysed on its own (its mean, variance and permutations
    use its units only: an island group is compared with itself, not with the mainland). Units of smaller
    components, isolates included, get NaN statistics and the label "no neighbours" (LISA) or bin 0 (Gi*).

    Returns
    -------
    pandas.DataFrame
        The statistic's ``to_frame()`` columns for every unit of ``y`` (in ``y``'s order) plus ``component``
        (the component label) and ``component_size``.
    """
    from spatial_poverty.stats.labels import NO_NEIGHBOURS, NO_NEIGHBOURS_EL

    if min_size < 4:
        raise StatisticsError(f"min_size needs to be at least 4; {min_size} was given instead")
    labels = graph.component_labels
    sizes = labels.value_counts()
    frames = []
    for comp, size in sizes.items():
        members = labels.index[labels == comp]
        if size < min_size:
            continue
        sub = graph.subgraph(members)
        ys = y.loc[list(sub.unique_ids)]
        kw = dict(permutations=permutations, seed=seed, alpha=alpha, alternative=alternative, correction=correction,
                  significance=significance)  # fmt: skip
        stat = LocalMoran if statistic == "lisa" else GetisOrdLocal
        frame = stat(ys, sub, **kw).to_frame()  # type: ignore[arg-type]
        frames.append(frame)
    out = pd.concat(frames) if frames else pd.DataFrame()
    out = out.reindex(y.index)
    if statistic == "lisa":
        missing = out["cluster"].isna() if "cluster" in out else pd.Series(True, index=y.index)
        out.loc[missing, "cluster"] = NO_NEIGHBOURS
        out.loc[missing, "cluster_el"] = NO_NEIGHBOURS_EL
        out.loc[missing, "significant"] = False
        out.loc[missing, "quadrant"] = 0
        out["quadrant"] = out["quadrant"].astype(np.int32)
        out["significant"] = out["significant"].astype(bool)
    else:
        out["gi_bin"] = out["gi_bin"].fillna(0).astype(np.int32)
        out["significant"] = out["significant"].fillna(False).astype(bool)
    out["component"] = labels.reindex(y.index).to_numpy()
    out["component_size"] = sizes.reindex(out["component"]).to_numpy()
    out.index.name = "code"
    return out
