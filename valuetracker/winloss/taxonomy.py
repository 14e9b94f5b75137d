"""The reason taxonomy (decision factors): the default set, lookups and edits.

The write functions (`add_factor`, `update_factor`, `load_default_taxonomy`) record
their audit event and never commit.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from .. import audit
from ..db import check_version
from ..models import DecisionFactor, User
from .errors import WinLossError

FACTOR_FIELDS = ("category", "name", "position", "active")

# (category, factor) in display order: the default taxonomy.
DEFAULT_TAXONOMY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Product", ("Product fit", "Features", "Ease of use")),
    ("Commercial", ("Price", "Value delivered", "Budget")),
    ("Delivery", ("Implementation", "Support")),
    ("Relationship", ("Relationship", "Sales experience", "Brand")),
    ("Decision process", ("Timing", "No decision-maker")),
)


def ensure_default_taxonomy(session: Session) -> int:
    """Add the default factors that are missing (by category and name); returns how many.

    Idempotent, so the demo, tests and the taxonomy page's button can all call it.
    The caller commits.
    """
    existing = {(c, n) for c, n in session.exec(
        select(DecisionFactor.category, DecisionFactor.name)).all()}
    added = 0
    position = 0
    for category, names in DEFAULT_TAXONOMY:
        for name in names:
            position += 10
            if (category, name) not in existing:
                session.add(DecisionFactor(category=category, name=name, position=position))
                added += 1
    session.flush()
    return added


def list_factors(session: Session, *, active_only: bool = False) -> list[DecisionFactor]:
    """Every factor, ordered by category then position then name."""
    query = select(DecisionFactor).order_by(
        DecisionFactor.category, DecisionFactor.position, DecisionFactor.name)
    if active_only:
        query = query.where(DecisionFactor.active.is_(True))
    return list(session.exec(query).all())


def factor_label(factor: DecisionFactor) -> str:
    return f"{factor.category} · {factor.name}"


def check_factor(session: Session, data: dict[str, Any], *,
                 factor: DecisionFactor | None = None) -> None:
    """Raise WinLossError unless the factor's name is new within its category."""
    found = session.exec(select(DecisionFactor.id).where(
        DecisionFactor.category == data["category"],
        DecisionFactor.name == data["name"])).first()
    if found is not None and (factor is None or found != factor.id):
        raise WinLossError("This category already has a factor of that name.", field="name")


def add_factor(session: Session, *, data: dict[str, Any],
               user: User | None = None) -> DecisionFactor:
    """Add a factor (category, name, position, active); without a position it goes last.

    Checks `check_factor` (WinLossError). Records "create decision_factor". Does not
    commit.
    """
    check_factor(session, data)
    factor = DecisionFactor(category=data["category"], name=data["name"],
                            position=data.get("position") or 100,
                            active=data.get("active", True))
    audit.add_created(session, factor, entity="decision_factor",
                      summary=f"factor {factor.category} / {factor.name} added", user=user)
    return factor


def update_factor(session: Session, factor: DecisionFactor, *, data: dict[str, Any],
                  expected_version: Any, user: User | None = None) -> dict[str, list[Any]]:
    """Save an edited factor (no position: 0, first).

    Checks `check_factor` (WinLossError), then raises `db.StaleEditError` (nothing
    changed) when someone saved the factor since the form was loaded at
    `expected_version`. Records "update decision_factor" with the diff and returns it.
    Does not commit.
    """
    check_factor(session, data, factor=factor)
    check_version(session, factor, expected_version)
    values = {key: data[key] for key in FACTOR_FIELDS if key in data}
    values["position"] = values.get("position") or 0
    return audit.apply_changes(session, factor, values, entity="decision_factor",
                               summary=lambda: f"factor {factor.name} updated", user=user)


def load_default_taxonomy(session: Session, *, user: User | None = None) -> int:
    """`ensure_default_taxonomy`, from the taxonomy page: records "create decision_factor"
    with how many factors were added. Does not commit."""
    added = ensure_default_taxonomy(session)
    audit.record(session, "create", "decision_factor", None,
                 f"default taxonomy loaded ({added} factors added)", user=user)
    return added
