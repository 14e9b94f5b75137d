"""Demo data of the summaries area.

PDF generation is slow, so the demo generates no summaries; it sets default branding
(so the first generated PDF looks finished) unless an admin already set one.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ..models import Setting
from ..summaries.branding import KEY, Branding, save_branding


def seed(session: Session, made: dict[str, Any]) -> None:
    """Add this area's demo rows; `made` carries what earlier areas created."""
    if session.get(Setting, KEY) is None:
        save_branding(session, Branding(company_name="Northwind Services",
                                        primary_color="#1d4ed8"))
    made["branding"] = True
