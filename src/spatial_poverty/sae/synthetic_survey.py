r"""A SYNTHETIC EU-SILC-like survey on the real municipalities, with its known truth: the demonstration of the
``sae:`` stage (``spatial-poverty data synthetic-survey``), and the check of its intervals against the truth.

No survey microdata are public at municipal level. This generator builds them on the real frame (the run's
municipalities: ELSTAT 2021 population, women, region, and the run's own covariates) and says so in every file
name and title.

**Population.** Persons in six cells (ages 0-17, 18-64, 65+, by sex). The share of women is each municipality's
real one (2021 census); the shares of children and of people 65+ are synthetic (national 16 % and 23 %, more
older people where density is low). A person's probability of being at risk of poverty or social exclusion is
:math:`\mathrm{logit}^{-1}(\eta_{ic} + h)`, with :math:`\eta_{ic} = \beta_0 + z_i'\beta + u_i + a_c + v_{i,age}`:
:math:`z_i` the standardised real covariates, :math:`u` spatially correlated (SAR on 5 nearest, ρ = 0.6),
:math:`a_c` the cell effects (children +0.30, 65+ +0.10, women +0.08), :math:`v` small municipal age effects and
:math:`h \sim N(0, 1.2^2)` a household effect shared by its members (so members are alike, as in EU-SILC). The
**truth** of a municipality and group is the expected share of its people at risk,
:math:`\sum_c N_{ic} E_h[\mathrm{logit}^{-1}(\eta_{ic} + h)] / \sum_c N_{ic}` (Gauss-Hermite, 40 nodes).

**Sample** (about 6,000 households, 15,500 persons): strata are the 13 regions (NUTS 2), households allocated in
proportion to their number; municipalities drawn by systematic PPS within each stratum, 20 households per hit;
household weights the inverse inclusion probabilities, repeated on their members; each household is a PSU.
AROPE is written as Eurostat's three components (poverty, deprivation, work intensity), at least one of them 1
for a person at risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spatial_poverty.sae.simulate import knn_proximity

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "SYNTHETIC",
    "SyntheticSurvey",
    "coverage",
    "synthetic_survey",
    "write_synthetic_survey",
]

SYNTHETIC = "SYNTHETIC - demonstration data"

AGES = ("0-17", "18-64", "65+")
AGE_EFFECT = {"0-17": 0.30, "18-64": 0.0, "65+": 0.10}
FEMALE_EFFECT = 0.08
HOUSEHOLD_SD = 1.2
SIZES = (1, 2, 3, 4, 5)
SIZE_P = (0.26, 0.30, 0.19, 0.18, 0.07)  # mean 2.5 persons, close to the 2021 census


@dataclass(frozen=True)
class SyntheticSurvey:
    """The persons sampled (``sample``) and the truth per municipality and group (``truth``: code, group, truth)."""

    sample: pd.DataFrame
    truth: pd.DataFrame
    seed: int
    label: str = SYNTHETIC


def _expected(eta: np.ndarray) -> np.ndarray:
    """E[logit^-1(eta + h)], h ~ N(0, HOUSEHOLD_SD^2), by Gauss-Hermite quadrature."""
    x, w = np.polynomial.hermite_e.hermegauss(40)
    w = w / w.sum()
    return (1 / (1 + np.exp(-(eta[..., None] + HOUSEHOLD_SD * x)))) @ w


def _cells(areas: pd.DataFrame, z: np.ndarray, rng: np.random.Generator, beta0: float, beta: np.ndarray):  # type: ignore[no-untyped-def]
    """Cell shares (m, 6) and linear predictors (m, 6), cells ordered age-major: (0-17 F, 0-17 M, 18-64 F, ...)."""
    m = len(areas)
    c = areas.geometry.centroid
    xy = np.column_stack([c.x, c.y])
    w = knn_proximity(xy, 5, symmetrise="sum")
    w = w / w.sum(axis=1, keepdims=True)
    u = np.linalg.solve(np.eye(m) - 0.6 * w, rng.normal(size=m))
    u = 0.35 * (u - u.mean()) / u.std()
    dens = np.log(areas["pop_2021"].to_numpy(float) / (areas.geometry.area.to_numpy() / 1e6))
    dz = (dens - dens.mean()) / dens.std()
    child = np.clip(0.16 + 0.015 * dz + rng.normal(0, 0.012, m), 0.08, 0.25)
    old = np.clip(0.23 - 0.03 * dz + rng.normal(0, 0.02, m), 0.12, 0.40)
    female = areas["female_2021"].to_numpy(float) / areas["pop_2021"].to_numpy(float)
    base = beta0 + z @ beta + u
    shares, eta = [], []
    for age, share in zip(AGES, (child, 1 - child - old, old), strict=True):
        v = rng.normal(0, 0.12, m) if age != "18-64" else np.zeros(m)
        for is_f, s_sex in ((True, female), (False, 1 - female)):
            shares.append(share * s_sex)
            eta.append(base + AGE_EFFECT[age] + FEMALE_EFFECT * is_f + v)
    return np.column_stack(shares), np.column_stack(eta)


def _truth(areas: pd.DataFrame, shares: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    groups = {
        "all": np.ones(6, bool),
        "children": np.array([1, 1, 0, 0, 0, 0], bool),
        "elderly": np.array([0, 0, 0, 0, 1, 1], bool),
        "women": np.array([1, 0, 1, 0, 1, 0], bool),
    }
    rows = [
        pd.DataFrame({"code": areas.index, "group": g, "truth": (shares[:, k] * p[:, k]).sum(1) / shares[:, k].sum(1)})
        for g, k in groups.items()
    ]
    return pd.concat(rows, ignore_index=True)


def synthetic_survey(
    areas: pd.DataFrame,
    covariates: Sequence[str],
    *,
    seed: int,
    households: int = 6000,
    per_psu: int = 20,
    year: int = 2023,
) -> SyntheticSurvey:
    """Draw the SYNTHETIC survey on ``areas`` (GeoDataFrame indexed by 2021 code with ``pop_2021``,
    ``female_2021``, ``nuts2`` and the ``covariates``)."""
    rng = np.random.default_rng(seed)
    zraw = areas[list(covariates)].to_numpy(float)
    z = (zraw - zraw.mean(0)) / zraw.std(0)
    beta = np.resize(np.array([0.25, -0.15, 0.10]), z.shape[1])
    shares, eta = _cells(areas, z, rng, -1.15, beta)
    p = _expected(eta)
    truth = _truth(areas, shares, p)
    hh = np.maximum(np.round(areas["pop_2021"].to_numpy(float) / 2.5), 1)
    strata = areas["nuts2"].astype(str).to_numpy()
    rows = []
    hid = 0
    for h in sorted(set(strata)):
        at = np.flatnonzero(strata == h)
        size = hh[at]
        n_h = max(1, round(households * size.sum() / hh.sum() / per_psu))
        interval = size.sum() / n_h
        hits = np.searchsorted(np.cumsum(size), rng.uniform(0, interval) + interval * np.arange(n_h), side="right")
        for j, times in zip(*np.unique(hits, return_counts=True), strict=True):
            i = at[j]
            pi = min(1.0, n_h * size[j] / size.sum())
            take = int(min(per_psu * times, size[j]))
            weight = size[j] / (take * pi)
            n_members = rng.choice(SIZES, size=take, p=SIZE_P)
            hh_effect = rng.normal(0, HOUSEHOLD_SD, take)
            for k in range(take):
                cell = rng.choice(6, size=n_members[k], p=shares[i] / shares[i].sum())
                risk = rng.random(n_members[k]) < 1 / (1 + np.exp(-(eta[i, cell] + hh_effect[k])))
                rows.append((hid, h, areas.index[i], weight, cell, risk))
                hid += 1
    sample = _persons(rows, rng, year)
    return SyntheticSurvey(sample, truth, seed)


def _persons(rows: list, rng: np.random.Generator, year: int) -> pd.DataFrame:  # type: ignore[type-arg]
    hid = np.concatenate([[r[0]] * len(r[4]) for r in rows])
    cell = np.concatenate([r[4] for r in rows])
    risk = np.concatenate([r[5] for r in rows])
    age_band = cell // 2
    lo, hi = np.array([0, 18, 65])[age_band], np.array([17, 64, 90])[age_band]
    age = rng.integers(lo, hi + 1)
    n = len(hid)
    # Eurostat's three components: a person at risk has at least one of them.
    pov = risk & (rng.random(n) < 0.78)
    dep = risk & (rng.random(n) < 0.45)
    lwi = risk & (age < 60) & (age >= 18) & (rng.random(n) < 0.40)
    none = risk & ~(pov | dep | lwi)
    pov = pov | none
    out = pd.DataFrame({
        "household_id": [f"H{x:05d}" for x in hid],
        "region": np.concatenate([[r[1]] * len(r[4]) for r in rows]),
        "municipality": np.concatenate([[r[2]] * len(r[4]) for r in rows]),
        "weight": np.round(np.concatenate([[r[3]] * len(r[4]) for r in rows]), 4),
        "year": year,
        "age": age,
        "sex": np.where(cell % 2 == 0, "F", "M"),
        "at_risk_of_poverty": pov.astype(int),
        "severe_deprivation": dep.astype(int),
        "low_work_intensity": lwi.astype(int),
    })  # fmt: skip
    return out


def write_synthetic_survey(survey: SyntheticSurvey, path: Path) -> tuple[Path, Path]:
    """Write the sample (``path``) and its truth (``<stem>_truth.csv``) as UTF-8 CSV, deterministically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    truth_path = path.with_name(f"{path.stem}_truth.csv")
    for frame, target in ((survey.sample, path), (survey.truth.round(8), truth_path)):
        tmp = target.with_name(f".{target.name}.part")
        frame.to_csv(tmp, index=False, lineterminator="\n")
        tmp.replace(target)
    return path, truth_path


def coverage(estimates: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Share of the published intervals (quality publish or flag) that hold the truth, overall and per group."""
    t = truth.assign(code=truth["code"].astype(str).str.zfill(4)).set_index(["code", "group"])["truth"]
    e = estimates.reset_index().set_index(["code", "group"])
    e = e[e["quality"] != "suppress"]
    inside = (e["ci_low"] <= t.reindex(e.index)) & (t.reindex(e.index) <= e["ci_high"])
    out: dict[str, float] = {"all_published": float(inside.mean()), "published": len(e)}
    for g, s in inside.groupby(level="group"):
        out[f"group:{g}"] = float(s.mean())
    return out
