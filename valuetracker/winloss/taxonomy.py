"""The reason taxonomy (decision factors): the default set and lookups."""

from __future__ import annotations

from sqlmodel import Session, select

from ..models import DecisionFactor

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
