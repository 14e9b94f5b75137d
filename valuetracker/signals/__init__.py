"""Signals: named, explained facts about an account or a person, and account health.

- `registry.py`: the `Kind` registry (`KINDS`, `@kind`), `Context` and `Fact`.
- `kinds/`: the kinds themselves, by area, each one SQL over all (or some) accounts.
- `refresh.py`: `refresh_signals(session, account_ids=, today=)` opens and clears them.
- `health.py`: the health score and bands, the weights setting, weekly snapshots.
- `jobs.py`: the worker's periodic refresh and the refresh after writes.

docs/signals.md lists every kind with its severity, weight and what clears it.
"""

from .health import (
    HEALTH_FILTERS,
    HEALTHY_MIN,
    MAX_SCORE,
    SIGNAL_LIST,
    WATCH_MIN,
    AccountHealth,
    OpenSignal,
    SignalFilters,
    account_health,
    accounts_health,
    all_signals,
    band,
    get_weights,
    health_condition,
    list_signals,
    save_weights,
    scores,
    signal_account_options,
    top_signals_text,
    trend_chart,
)
from .refresh import Refresh, refresh_signals
from .registry import KINDS, Kind

__all__ = ["HEALTHY_MIN", "KINDS", "MAX_SCORE", "WATCH_MIN", "AccountHealth", "Kind", "OpenSignal",
           "Refresh", "account_health", "accounts_health", "band", "get_weights",
           "refresh_signals", "save_weights", "scores", "top_signals_text",
           "trend_chart", "HEALTH_FILTERS", "health_condition", "SIGNAL_LIST", "SignalFilters",
           "all_signals", "list_signals", "signal_account_options"]
