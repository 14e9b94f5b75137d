"""Competitors and their aliases, so "MSFT" and "Microsoft" are one competitor."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from .models import Competitor


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def alias_list(competitor: Competitor) -> list[str]:
    return [a.strip() for a in (competitor.aliases or "").split(";") if a.strip()]


def competitor_index(session: Session) -> dict[str, Competitor]:
    """Every competitor name and alias (case- and space-insensitive) -> Competitor.

    One query; callers resolving many names (imports) build it once.
    """
    index: dict[str, Competitor] = {}
    for competitor in session.exec(select(Competitor)).all():
        index[_key(competitor.name)] = competitor
        for alias in alias_list(competitor):
            index.setdefault(_key(alias), competitor)
    return index


def resolve_competitors(
    session: Session,
    names: Iterable[str],
    *,
    index: dict[str, Competitor] | None = None,
    create: bool = True,
) -> list[Competitor]:
    """The competitors named (by name or alias), in order, without duplicates.

    Unknown names become new competitors when `create` is true (the caller commits);
    otherwise they are left out.
    """
    index = competitor_index(session) if index is None else index
    found: list[Competitor] = []
    for raw in names:
        name = " ".join((raw or "").split())
        if not name:
            continue
        competitor = index.get(_key(name))
        if competitor is None:
            if not create:
                continue
            competitor = Competitor(name=name)
            session.add(competitor)
            session.flush()
            index[_key(name)] = competitor
        if competitor not in found:
            found.append(competitor)
    return found
