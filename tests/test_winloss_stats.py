"""Wilson intervals and the histogram median against known values."""

from __future__ import annotations

import pytest

from valuetracker.winloss.stats import median_from_histogram, wilson_interval


@pytest.mark.parametrize("won,total,low,high", [
    (8, 10, 0.4902, 0.9433),
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (5, 10, 0.2366, 0.7634),
    (1, 1, 0.2065, 1.0),
])
def test_wilson_known_values(won: int, total: int, low: float, high: float) -> None:
    got_low, got_high = wilson_interval(won, total)
    assert got_low == pytest.approx(low, abs=1e-4)
    assert got_high == pytest.approx(high, abs=1e-4)


def test_wilson_no_data() -> None:
    assert wilson_interval(0, 0) == (0.0, 0.0)


def test_median_from_histogram() -> None:
    assert median_from_histogram([]) is None
    assert median_from_histogram([(10, 1), (20, 1)]) == 15
    assert median_from_histogram([(3, 2), (1, 1), (100, 1)]) == 3
    assert median_from_histogram([(5, 3)]) == 5
