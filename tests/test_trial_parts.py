"""The pieces of a virtual trial that need no simulation: arms, endpoints, summaries, bands."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartsim.trials import bands
from cartsim.trials.endpoints import (
    B_CELL_DETECTION_LIMIT_PER_UL,
    reappearance_day,
    relapse_days,
    repletion_day_after_last_dose,
)
from cartsim.trials.randomise import assign_arms
from cartsim.trials.summaries import distribution, proportion


@pytest.mark.parametrize("n_arms", [1, 2, 3, 4])
def test_parallel_allocation_is_balanced_in_every_block(n_arms):
    arms = [a for (a,) in assign_arms(10 * 2 * n_arms, n_arms, "parallel", seed=3)]
    for block in range(10):
        chunk = arms[block * 2 * n_arms:(block + 1) * 2 * n_arms]
        assert sorted(chunk) == sorted(list(range(n_arms)) * 2)


def test_allocation_is_a_prefix_whatever_the_trial_size():
    small = assign_arms(7, 3, "parallel", seed=9)
    large = assign_arms(70, 3, "parallel", seed=9)
    assert large[:7] == small
    assert assign_arms(70, 3, "parallel", seed=10) != large


def test_crossover_gives_every_arm():
    assert assign_arms(3, 4, "crossover", seed=1) == [(0, 1, 2, 3)] * 3


def test_reappearance_needs_depletion_first():
    t = np.arange(6.0)
    assert math.isnan(reappearance_day(t, np.full(6, 50.0)))
    assert math.isnan(reappearance_day(t, np.array([50, 0.1, 0.1, 0.1, 0.1, 0.1])))
    limit = B_CELL_DETECTION_LIMIT_PER_UL
    assert reappearance_day(t, np.array([50, 0.1, limit * 0.99, limit, 5, 9])) == 3.0


def test_repletion_counts_from_the_last_dose_to_the_lower_of_lln_and_baseline():
    t = np.arange(10.0)
    b = np.array([30, 1, 1, 1, 10, 20, 29, 30, 40, 50.0])
    assert repletion_day_after_last_dose(t, b, 2.0, baseline=30.0) == 5.0   # baseline 30 < LLN 40
    assert repletion_day_after_last_dose(t, b, 2.0, baseline=200.0) == 6.0  # LLN 40 at day 8
    assert math.isnan(repletion_day_after_last_dose(t, b, None, baseline=30.0))


def test_relapses_fall_where_the_cumulative_hazard_crosses_the_draws():
    t = np.arange(-2.0, 5.0)
    hazard = np.array([0.0, 0.3, 0.5, 1.0, 1.5, 2.5, 2.6])   # 0.5 at day 0
    assert relapse_days(t, hazard, np.array([0.4, 1.0, 2.2, 9.0])).tolist() == [1.0, 2.0]


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=50))
def test_distribution_matches_numpy(values):
    x = np.array(values)
    d = distribution(x)
    assert d["n"] == x.size
    assert d["median"] == pytest.approx(np.median(x))
    assert d["p25"] <= d["median"] <= d["p75"]


def test_proportion_wilson_interval_matches_the_textbook_value():
    # 5 of 20: Wilson 95% interval 11.2% to 46.9% (Newcombe 1998, method 3).
    p = proportion(np.array([1.0] * 5 + [0.0] * 15))
    assert p["value"] == 25.0
    assert p["ci95"] == pytest.approx([11.19, 46.87], abs=0.01)
    assert proportion(np.array([np.nan])) is None


@given(st.integers(0, 30), st.integers(1, 30))
def test_proportion_interval_contains_the_estimate(k, extra):
    p = proportion(np.array([1.0] * k + [0.0] * extra))
    assert 0.0 <= p["ci95"][0] <= p["value"] <= p["ci95"][1] <= 100.0


def test_band_percentiles_are_order_free_and_within_a_bin():
    t = np.arange(-5.0, 30.0)
    values = np.random.default_rng(0).lognormal(2.0, 1.0, size=200)
    forward = bands.empty_counts(1, bands.band_days(t).size)
    backward = bands.empty_counts(1, bands.band_days(t).size)
    for v in values:
        bands.add_patient(forward, 0, t, {n: np.full(t.size, v) for n, _, _ in bands.BAND_SERIES})
    for v in values[::-1]:
        bands.add_patient(backward, 0, t, {n: np.full(t.size, v) for n, _, _ in bands.BAND_SERIES})
    assert np.array_equal(forward, backward)
    median = bands.percentiles(forward)[0, 0, 0, 2]
    assert median == pytest.approx(np.median(values), rel=10 ** (1 / 20) - 1)
    assert bands.band_days(t).tolist() == [0.0, 7.0, 14.0, 21.0, 28.0]


@given(st.floats(1e-4, 1e11))
def test_one_value_reads_back_as_the_centre_of_its_half_open_bin(value):
    counts = np.zeros(bands.N_BINS, dtype=np.int64)
    counts[np.searchsorted(bands.EDGES, value, side="right")] = 1
    read = float(bands.percentiles(counts)[2])
    assert abs(math.log10(read / value)) <= 1 / 40 + 1e-12   # half a bin of 1/20 decade


def test_a_value_on_an_edge_belongs_to_the_bin_above_it_and_zero_reads_as_zero():
    counts = np.zeros((2, bands.N_BINS), dtype=np.int64)
    counts[0, np.searchsorted(bands.EDGES, 10.0, side="right")] = 1
    counts[1, np.searchsorted(bands.EDGES, 0.0, side="right")] = 1
    assert bands.percentiles(counts)[:, 2].tolist() == pytest.approx([10 ** 1.025, 0.0])
