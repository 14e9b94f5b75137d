"""Small statistics for win rates: the Wilson score interval."""

from __future__ import annotations

import math

# Two-sided 95% normal quantile, exact to double precision (the documented interval is 95%).
Z95 = 1.959963984540054
# Groups with fewer closed deals than this are flagged as small samples.
SMALL_SAMPLE = 10


def wilson_interval(successes: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for `successes` out of `total` (0..1); (0, 0) for no data."""
    if total <= 0:
        return 0.0, 0.0
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def median_from_histogram(counts: list[tuple[int, int]]) -> float | None:
    """The median of values given as (value, count) pairs (a bounded, aggregated list)."""
    items = sorted((v, c) for v, c in counts if v is not None and c)
    total = sum(c for _, c in items)
    if total == 0:
        return None

    def nth(k: int) -> int:  # the k-th smallest value, 0-based
        seen = 0
        for value, count in items:
            seen += count
            if k < seen:
                return value
        return items[-1][0]

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2
