"""Monitoring targets: the latest value of each target's indicator, the share of the way travelled, a status.

For a target with baseline :math:`(t_0, b)` and target :math:`(t_1, g)` and the latest observation
:math:`(t, x)` with :math:`t_0 < t`:

.. math::

    \\text{progress} = \\frac{x - b}{g - b}, \\qquad \\text{expected} = \\frac{\\min(t, t_1) - t_0}{t_1 - t_0}

``progress`` is 0 at the baseline and 1 at the target whatever the direction (a decrease target has
:math:`g < b`), negative when the indicator moved away from the target. The status is

* ``reached`` when progress ≥ 1;
* ``on track`` when progress ≥ expected, i.e. the indicator is at or beyond the straight line from the baseline to
  the target (a linear path; Eurostat's SDG monitoring compares growth rates instead, which for the few years
  between strategy reviews gives the same verdict unless the indicator is near the line);
* ``off track`` otherwise;
* for a series with a 95 % interval (the run's AROPE estimate, ``sae:<group>``), ``reached`` needs the whole
  interval beyond the target (its upper end at or below a decrease target, its lower end at or above an increase
  target); a point estimate past the target whose interval still holds the target is ``on track``;
* ``no data`` when the series has no value after the baseline year (up to the target year), or none at all for
  the area.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spatial_poverty.errors import IngestError
from spatial_poverty.targets.schema import TargetsFile
from spatial_poverty.targets.series import indicator_for

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "STATUS",
    "STATUS_COLOURS",
    "STATUS_EL",
    "evaluate_targets",
    "read_series",
    "targets_chart",
]

logger = logging.getLogger(__name__)

STATUS = ("reached", "on track", "off track", "no data")
STATUS_EL = {
    "reached": "επιτεύχθηκε",
    "on track": "σε τροχιά",
    "off track": "εκτός τροχιάς",
    "no data": "χωρίς στοιχεία",
}
STATUS_COLOURS = {"reached": "#1a9641", "on track": "#a6d96a", "off track": "#d7191c", "no data": "#bdbdbd"}

#: A stated baseline that differs from the source's value by more than this (in the indicator's unit) is logged.
BASELINE_ATOL = 0.05

COLUMNS = [
    "id",
    "indicator",
    "area",
    "label_el",
    "label_en",
    "unit",
    "direction",
    "baseline_year",
    "baseline_value",
    "baseline_in_source",
    "target_year",
    "target_value",
    "latest_year",
    "latest_value",
    "latest_low",
    "latest_high",
    "progress_share",
    "expected_share",
    "status",
    "status_el",
    "source_id",
    "baseline_source",
    "note",
]


def read_series(targets: TargetsFile, paths: Mapping[str, Path]) -> dict[str, pd.DataFrame]:
    """Read every series the targets need, keyed by catalogue id (each file read once).

    Parameters
    ----------
    paths : mapping
        Catalogue id to the file's path (in ``data/raw``).
    """
    out: dict[str, pd.DataFrame] = {}
    for t in targets.targets:
        src = indicator_for(t.indicator).source_for(t.area)
        if src is None or src[0] in out:
            continue
        sid, reader = src
        if sid not in paths:
            raise IngestError(f"target {t.id!r}: input {sid!r} was not given")
        out[sid] = reader(paths[sid])
    return out


def evaluate_targets(targets: TargetsFile, series: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The monitoring table: one row per target with its latest value, progress share and status.

    Parameters
    ----------
    targets : TargetsFile
    series : mapping
        Catalogue id to a ``geo, year, value`` table (:func:`read_series`); a register's indicator
        (``register:<name>``) to its series, made by the run.

    Returns
    -------
    pandas.DataFrame
        Columns ``COLUMNS``, indexed by target id, in the file's order.
    """
    rows = []
    for t in targets.targets:
        ind = indicator_for(t.indicator)
        src = ind.source_for(t.area)
        key = src[0] if src is not None else t.indicator  # a register's series is keyed by its indicator
        obs = pd.DataFrame(columns=["year", "value"])
        if key in series:
            s = series[key]
            obs = s[s["geo"] == t.area].sort_values("year")
        at_base = obs.loc[obs["year"] == t.baseline.year, "value"]
        in_source = float(at_base.iloc[0]) if len(at_base) else np.nan
        if len(at_base) and abs(in_source - t.baseline.value) > BASELINE_ATOL:
            logger.warning(
                "target %s: the stated baseline %s (%d) differs from the source's %s",
                t.id,
                t.baseline.value,
                t.baseline.year,
                in_source,
            )
        after = obs[(obs["year"] > t.baseline.year) & (obs["year"] <= t.target.year)]
        span = t.target.value - t.baseline.value
        low = high = np.nan
        if after.empty:
            latest_year, latest, progress, expected, status = pd.NA, np.nan, np.nan, np.nan, "no data"
        else:
            last = after.iloc[-1]
            latest_year, latest = int(last["year"]), float(last["value"])
            progress = (latest - t.baseline.value) / span
            expected = (min(latest_year, t.target.year) - t.baseline.year) / (t.target.year - t.baseline.year)
            status = "reached" if progress >= 1 else "on track" if progress >= expected else "off track"
            if "low" in after.columns:
                low, high = float(last["low"]), float(last["high"])
                beyond = high <= t.target.value if t.direction == "decrease" else low >= t.target.value
                if status == "reached" and not beyond:
                    status = "on track"  # the point is past the target, the interval is not
        rows.append(
            {
                "id": t.id,
                "indicator": t.indicator,
                "area": t.area,
                "label_el": t.label_el or ind.label_el,
                "label_en": t.label_en or ind.label_en,
                "unit": ind.unit,
                "direction": t.direction,
                "baseline_year": t.baseline.year,
                "baseline_value": t.baseline.value,
                "baseline_in_source": in_source,
                "target_year": t.target.year,
                "target_value": t.target.value,
                "latest_year": latest_year,
                "latest_value": latest,
                "latest_low": low,
                "latest_high": high,
                "progress_share": progress,
                "expected_share": expected,
                "status": status,
                "status_el": STATUS_EL[status],
                "source_id": key,
                "baseline_source": t.source,
                "note": t.note or "",
            }
        )
    table = pd.DataFrame(rows, columns=COLUMNS).set_index("id", drop=False)
    table["latest_year"] = table["latest_year"].astype("Int64")
    table.index.name = None
    return table


def targets_chart(table: pd.DataFrame, *, lang: str = "el", attribution: str = "") -> Figure:
    """A bar per target: the share of the way from baseline to target travelled, the expected share as a tick.

    Bars are coloured by status; the label gives the latest value and its year.
    """
    import matplotlib as mpl
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from spatial_poverty.formatting import number
    from spatial_poverty.maps.static import static_rc

    el = lang == "el"
    with mpl.rc_context(static_rc()):  # type: ignore[arg-type]
        n = len(table)
        fig = Figure(figsize=(7.5, 1.8 + 0.55 * n), layout="constrained")
        ax = fig.add_subplot()
        ys = np.arange(n)[::-1]
        for y, (_, r) in zip(ys, table.iterrows(), strict=True):
            colour = STATUS_COLOURS[r["status"]]
            progress = 0.0 if pd.isna(r["progress_share"]) else float(np.clip(r["progress_share"], -0.5, 1.5))
            ax.barh(y, progress, color=colour, edgecolor="#333333", linewidth=0.5, height=0.6)
            if not pd.isna(r["expected_share"]):
                ax.plot([r["expected_share"]] * 2, [y - 0.38, y + 0.38], color="black", linewidth=1.5)
            if pd.isna(r["latest_value"]):
                text = STATUS_EL["no data"] if el else "no data"
            else:
                latest, target = number(r["latest_value"], 1, lang), number(r["target_value"], 1, lang)
                text = f"{latest}{r['unit']} ({int(r['latest_year'])}) → {target}{r['unit']}"
            ax.text(max(progress, 0) + 0.02, y, text, va="center", fontsize=7)
        labels = [
            f"{r['label_el'] if el else r['label_en']}\n{r['area']}, {r['baseline_year']}→{r['target_year']}"
            for _, r in table.iterrows()
        ]
        ax.set_yticks(ys, labels, fontsize=7)
        ax.axvline(0, color="#555555", linewidth=0.8)
        ax.axvline(1, color="#555555", linewidth=0.8, linestyle="--")
        ax.set_xlim(-0.5, 1.9)
        ax.set_xlabel(
            "Ποσοστό της απόστασης βάσης-στόχου που καλύφθηκε\n(| = αναμενόμενο σε γραμμική πορεία)"
            if el
            else "Share of the way from baseline to target\n(| = expected on a linear path)",
            fontsize=7,
        )
        ax.tick_params(axis="x", labelsize=7)
        ax.legend(
            handles=[Patch(color=c, label=STATUS_EL[s] if el else s) for s, c in STATUS_COLOURS.items()],
            fontsize=7,
            loc="lower right",
            frameon=False,
            ncols=4,
            bbox_to_anchor=(1.0, 1.0),
        )
        if attribution:  # wrapped under the axes; the constrained layout keeps the axes above it
            lines = textwrap.wrap(attribution, width=150)
            bottom = (len(lines) * 6 * 1.3 + 6) / (fig.get_figheight() * 72)
            fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))  # type: ignore[union-attr]
            fig.text(0.01, 0.005, "\n".join(lines), fontsize=6, color="#333333", ha="left", va="bottom")
        return fig
