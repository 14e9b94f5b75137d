"""Test factories: one function per model, each building a row with sensible defaults that
any keyword argument overrides, adding it and flushing; the caller's session commits.

Import them from here (`from .factories import make_account, make_entry`). Data sets built
from several factories live beside them: `scenarios` (a seeded quarter for exports, an
account's quarter for summaries) and `csv_files` (CSV files and a CRM export for imports).
"""

from .accounts import PASSWORD, make_account, make_stakeholder, make_user
from .activities import make_activity
from .summaries import make_summary
from .tasks import make_signal, make_task
from .value import make_commitment, make_confirmation, make_entry, make_pulse, ranking
from .winloss import (
    make_competitor,
    make_deal,
    make_factor,
    make_guide,
    make_interview,
    make_quote,
    make_rating,
)

__all__ = [
    "PASSWORD",
    "make_account",
    "make_activity",
    "make_commitment",
    "make_competitor",
    "make_confirmation",
    "make_deal",
    "make_entry",
    "make_factor",
    "make_guide",
    "make_interview",
    "make_pulse",
    "make_quote",
    "make_rating",
    "make_signal",
    "make_stakeholder",
    "make_summary",
    "make_task",
    "make_user",
    "ranking",
]
