"""Apportioning 2011 values to 2021 units: counts split with totals preserved, rates carried (small fixtures
built here, labelled as such)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spatial_poverty.errors import IngestError
from spatial_poverty.harmonise.apportion import METHOD_COUNT, METHOD_RATE, apportion, carry_rates, split_counts
from spatial_poverty.harmonise.names import compare_names, normalise_name

RTOL = 1e-12


@pytest.fixture
def crosswalk() -> pd.DataFrame:
    """Test fixture: unit 'a' split in three (0.5/0.3/0.2), 'b' whole, 'c' transfers part of itself to 'y'."""
    return pd.DataFrame(
        {
            "elstat_2011": ["a", "a", "a", "b", "c", "c"],
            "elstat_2021": ["x", "y", "z", "w", "v", "y"],
            "pop_share": [0.5, 0.3, 0.2, 1.0, 0.9, 0.1],
            "pop_2011_part": [500, 300, 200, 800, 90, 10],
        }
    )


def test_split_counts_largest_remainder(crosswalk):
    out = split_counts(pd.Series({"a": 7, "b": 11, "c": 5}, name="n"), crosswalk)
    # a: 3.5/2.1/1.4 -> floors 3/2/1, one left goes to the largest remainder (x: 0.5).
    # c: 4.5/0.5 -> floors 4/0, one left: tie broken by code order (v before y).
    assert out.to_dict() == {"v": 5, "w": 11, "x": 4, "y": 2, "z": 1}
    assert out.index.name == "code"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_split_counts_preserve_totals_exactly(crosswalk, seed):
    rng = np.random.default_rng(seed)
    vals = pd.Series(rng.integers(0, 1_000_000, size=3), index=["a", "b", "c"], name="n")
    out = split_counts(vals, crosswalk)
    assert int(out.sum()) == int(vals.sum())
    for e11 in vals.index:  # each 2011 unit's parts add up to it exactly
        alone = split_counts(vals.where(vals.index == e11, 0), crosswalk)
        assert int(alone.sum()) == int(vals[e11])
        share = crosswalk[crosswalk["elstat_2011"] == e11].set_index("elstat_2021")["pop_share"]
        assert (abs(alone[share.index] - share * vals[e11]) < 1).all()


def test_carry_rates_weighted_by_population(crosswalk):
    out = carry_rates(pd.Series({"a": 10.0, "b": 20.0, "c": 30.0}), crosswalk)
    assert out["x"] == out["z"] == 10.0  # split units carry their parent's rate
    assert out["y"] == pytest.approx((300 * 10.0 + 10 * 30.0) / 310, rel=RTOL)


def test_apportion_records_method_and_leaves_input(crosswalk):
    frame = pd.DataFrame({"n": [7, 11, 5], "r": [10.0, 20.0, 30.0]}, index=["a", "b", "c"])
    before = frame.copy()
    out, methods = apportion(frame, crosswalk, counts=["n"], rates=["r"])
    assert methods == {"n": METHOD_COUNT, "r": METHOD_RATE}
    assert sorted(out.index) == ["v", "w", "x", "y", "z"]
    pd.testing.assert_frame_equal(frame, before)


def test_unknown_and_missing_codes_are_errors(crosswalk):
    with pytest.raises(IngestError, match=r"not in the crosswalk: \['q'\]"):
        split_counts(pd.Series({"a": 1, "b": 1, "c": 1, "q": 1}), crosswalk)
    with pytest.raises(IngestError, match=r"no value for 2011 units \['c'\]"):
        carry_rates(pd.Series({"a": 1.0, "b": 1.0}), crosswalk)
    with pytest.raises(IngestError, match="non-negative whole numbers"):
        split_counts(pd.Series({"a": 1.5, "b": 1, "c": 1}), crosswalk)
    with pytest.raises(IngestError, match=r"columns \['zz'\] are missing"):
        apportion(pd.DataFrame({"n": [1]}, index=["a"]), crosswalk, counts=["zz"])


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("ΔΗΜΟΣ ΒΟΪΟΥ (Έδρα: Σιάτιστα,η, Ιστορική έδρα: Νεάπολις,η)", "ΒΟΙΟΥ"),
        ("Δ. Σερβίων - Βελβεντού", "ΣΕΡΒΙΩΝ ΒΕΛΒΕΝΤΟΥ"),
        ("Δημοτική Κοινότητα Κομοτηνής", "ΚΟΜΟΤΗΝΗΣ"),
        ("ΔΗΜΟΤΙΚΗ ΕΝΟΤΗΤΑ ΠΤΟΛΕΜΑΪΔΑΣ", "ΠΤΟΛΕΜΑΙΔΑΣ"),
        ("Τοπική Κοινότητα Αγίου  Νικολάου", "ΑΓΙΟΥ ΝΙΚΟΛΑΟΥ"),
    ],
)
def test_normalise_name(raw, norm):
    assert normalise_name(raw) == norm


def test_compare_names_grades():
    assert compare_names("ΔΗΜΟΣ ΔΡΑΜΑΣ", "ΔΗΜΟΣ ΔΡΑΜΑΣ") == ("exact", 1.0)
    assert compare_names("ΔΗΜΟΣ ΔΙΟΝΥΣΟΥ", "Διονύσου") == ("normalised", 1.0)
    kind, ratio = compare_names("ΔΗΜΟΣ ΠΕΤΡΟΥΠΟΛΕΩΣ", "Πετρούπολης")
    assert kind == "similar" and 0.8 < ratio < 1
