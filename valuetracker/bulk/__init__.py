"""Bulk actions on list selections (docs/lists.md): `core` (actions, checking, doing it
all-or-nothing), `actions` (each list's actions), `runs` (more than a page: one job)."""

from .actions import ACCOUNTS, DEALS, LISTS, PEOPLE
from .core import (
    MAX_SELECTION,
    Action,
    BulkList,
    Item,
    Plan,
    Refused,
    clean_ids,
    execute,
    inspect,
    report,
)
from .runs import JOB_KIND, create_bulk_job, run_bulk_job

__all__ = ["ACCOUNTS", "DEALS", "JOB_KIND", "LISTS", "MAX_SELECTION", "PEOPLE", "Action",
           "BulkList", "Item", "Plan", "Refused", "clean_ids", "create_bulk_job",
           "execute", "inspect", "report", "run_bulk_job"]
