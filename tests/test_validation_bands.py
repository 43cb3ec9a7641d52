"""Acceptance bands: every spread kind gives the interval its rule says, edges included."""

from __future__ import annotations

import math

import pytest

from cartsim.parameters import load_catalog
from cartsim.validation.acceptance import Band, acceptance_band, hozo_sd
from cartsim.validation.facts import Fact


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def fact(kind: str, centre: float | None = 10.0, n: int | None = 20, **spread: object) -> Fact:
    statistic = "bound" if kind == "bound" else "mean"
    return Fact("f", "T0-00", "stein2019", "q", statistic, centre, "day", n,
                {"kind": kind, **spread}, "here", "")


def test_sd_gives_the_t_interval_of_the_mean(catalog) -> None:
    band = acceptance_band(fact("sd", 110.0, 5, value=32.0), catalog)
    # t(0.975, 4) = 2.7764; 2.7764 * 32 / sqrt(5) = 39.73
    assert band.low == pytest.approx(70.27, abs=0.01)
    assert band.high == pytest.approx(149.73, abs=0.01)


def test_iqr_gives_the_interval_of_the_median(catalog) -> None:
    band = acceptance_band(fact("iqr", 10.0, 20, low=8.0, high=12.0), catalog)
    # SD = 4 / 1.349 = 2.965; half = 1.96 * 1.2533 * 2.965 / sqrt(20) = 1.629
    assert (band.low, band.high) == pytest.approx((8.371, 11.629), abs=0.002)


def test_range_uses_hozo_sd(catalog) -> None:
    band = acceptance_band(fact("range", 10.0, 40, low=2.0, high=30.0), catalog)
    half = 1.959964 * math.sqrt(math.pi / 2) * 7.0 / math.sqrt(40)
    assert (band.low, band.high) == pytest.approx((10.0 - half, 10.0 + half))


@pytest.mark.parametrize(("n", "expected"), [(10, math.sqrt(820 / 12)), (15, math.sqrt(820 / 12)),
                                             (16, 7.0), (70, 7.0), (71, 28 / 6)])
def test_hozo_sd_switches_formula_at_15_and_70(n: int, expected: float) -> None:
    assert hozo_sd(10.0, 2.0, 30.0, n) == pytest.approx(expected)


@pytest.mark.parametrize("kind", ["ci", "interval"])
def test_published_intervals_are_kept(catalog, kind: str) -> None:
    band = acceptance_band(fact(kind, low=1.3, high=3.4), catalog)
    assert (band.low, band.high) == (1.3, 3.4)


@pytest.mark.parametrize(("events", "n", "expected"), [(3, 5, (23.07, 88.24)), (0, 5, (0.0, 43.45)),
                                                       (12, 12, (75.75, 100.0))])
def test_proportion_gives_the_wilson_interval(catalog, events, n, expected) -> None:
    band = acceptance_band(fact("proportion", 100.0 * events / n, n, events=events), catalog)
    assert (band.low, band.high) == pytest.approx(expected, abs=0.01)


def test_omega2_gives_the_interval_of_a_lognormal_typical_value(catalog) -> None:
    band = acceptance_band(fact("omega2", 9.3, 90, value=0.38), catalog)
    factor = math.exp(1.959964 * math.sqrt(0.38 / 90))
    assert (band.low, band.high) == pytest.approx((9.3 / factor, 9.3 * factor))


def test_rate_ratio_uses_poisson_counts_over_the_follow_up_record(catalog) -> None:
    years = catalog.value("t_followup_asclepios")
    band = acceptance_band(fact("rate_ratio", 0.5, 946, rate=0.11, reference_rate=0.22,
                                reference_n=936, followup="t_followup_asclepios"), catalog)
    se = math.sqrt(1 / (0.11 * 946 * years) + 1 / (0.22 * 936 * years))
    assert band.high == pytest.approx(0.5 * math.exp(1.959964 * se))
    assert band.low * band.high == pytest.approx(0.25)


def test_bounds_are_half_lines_and_may_name_a_record(catalog) -> None:
    above = acceptance_band(fact("bound", None, None, limit=80.0, side="above"), catalog)
    below = acceptance_band(fact("bound", None, None, limit="titre_pct_maintained", side="below"),
                            catalog)
    assert (above.low, above.high) == (80.0, math.inf)
    assert (below.low, below.high) == (-math.inf, catalog.value("titre_pct_maintained"))
    assert above.describe() == "≥ 80" and below.describe().startswith("≤ ")


def test_no_spread_uses_the_assumed_tolerance(catalog) -> None:
    tolerance = catalog.value("f_tolerance_without_spread")
    band = acceptance_band(fact("none", 0.78), catalog)
    assert (band.low, band.high) == pytest.approx((0.78 * (1 - tolerance), 0.78 * (1 + tolerance)))


def test_edges_belong_to_the_band_and_nan_never_does() -> None:
    band = Band(1.0, 2.0, "r")
    assert band.contains(1.0) and band.contains(2.0)
    assert not band.contains(math.nextafter(1.0, 0.0)) and not band.contains(math.nextafter(2.0, 3.0))
    assert not band.contains(math.nan) and not Band(-math.inf, math.inf, "r").contains(math.inf)


def test_one_sided_keeps_one_edge() -> None:
    band = Band(1.0, 2.0, "r")
    assert band.keep_side("upper").contains(-5.0) and not band.keep_side("upper").contains(2.5)
    assert band.keep_side("lower").contains(50.0) and not band.keep_side("lower").contains(0.5)
