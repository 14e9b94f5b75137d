"""Demo data of the core area."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session


def seed(session: Session, made: dict[str, Any]) -> None:
    """Add this area's demo rows; `made` carries what earlier areas created."""
