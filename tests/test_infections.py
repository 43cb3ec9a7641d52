"""Serious-infection hazard and draws: factors, a stream of its own, determinism."""

from __future__ import annotations

import numpy as np

from cartsim.parameters import load_catalog
from cartsim.trials.chunk import RELAPSE_STREAM, event_thresholds
from cartsim.trials.infections import (
    INFECTION_STREAM,
    InfectionRates,
    cumulative_infection_hazard,
    infection_events,
)


def test_neutropenia_and_low_igg_raise_the_hazard():
    rates = InfectionRates.from_catalog(load_catalog())
    t = np.arange(0.0, 11.0)
    normal = cumulative_infection_hazard(t, np.full(11, 3000.0), np.full(11, 10.0), rates)
    neutropenic = cumulative_infection_hazard(t, np.full(11, 300.0), np.full(11, 10.0), rates)
    low_igg = cumulative_infection_hazard(t, np.full(11, 3000.0), np.full(11, 3.0), rates)
    np.testing.assert_allclose(normal[-1], 10 * rates.base_per_day)
    np.testing.assert_allclose(neutropenic[-1], 10 * (rates.base_per_day
                                                      + rates.neutropenic_per_day))
    np.testing.assert_allclose(low_igg[-1], 10 * rates.base_per_day * rates.low_igg_ratio)
    assert rates.low_igg_ratio > 1.0


def test_infection_draws_have_their_own_stream_and_leave_relapses_unchanged():
    assert INFECTION_STREAM != RELAPSE_STREAM
    relapses = event_thresholds(5, 2, RELAPSE_STREAM, 3.0)
    expected = np.cumsum(np.random.default_rng([5, 2, RELAPSE_STREAM]).exponential(size=32))
    np.testing.assert_array_equal(relapses, expected)
    infections = event_thresholds(5, 2, INFECTION_STREAM, 3.0)
    assert not np.array_equal(infections[:5], relapses[:5])
    np.testing.assert_array_equal(infections, event_thresholds(5, 2, INFECTION_STREAM, 3.0))


def test_infection_events_follow_the_cumulative_hazard():
    t = np.arange(-2.0, 5.0)
    cumulative = np.array([0.0, 0.0, 0.0, 0.4, 0.8, 1.2, 1.6])
    row, events = infection_events(t, cumulative, np.array([0.5, 1.5, 9.0]))
    assert [e["day"] for e in events] == [2.0, 4.0]
    assert row["serious_infection_any"] == 1.0
    np.testing.assert_allclose(row["serious_infections_per_year"], 2 / (4 / 365.25))
