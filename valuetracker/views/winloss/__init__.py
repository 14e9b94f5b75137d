"""Views of the win/loss area: deals, debriefs, interviews, guides, taxonomy, rules,
analytics and the quote library (one blueprint, split into modules by page group).

Roles (docs/roles.md): account managers work on deals of their own accounts (404 for
others) and may not reach the interview program or analytics (403); analysts and
admins run the program for all accounts; leaders read everything.
"""

from __future__ import annotations

from . import analytics, deals, interviews, program  # noqa: F401  (they register the views)
from ._common import bp

__all__ = ["bp"]
