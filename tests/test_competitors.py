"""Competitor names and aliases resolve to one competitor."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from valuetracker.competitors import resolve_competitors
from valuetracker.models import Competitor


def test_aliases_resolve_to_one_competitor(session: Any) -> None:
    session.add(Competitor(name="Microsoft", aliases="MSFT; Microsoft Corp"))
    session.commit()
    found = resolve_competitors(session, ["msft", " Microsoft  ", "MICROSOFT CORP", "Oracle"])
    session.commit()
    assert [c.name for c in found] == ["Microsoft", "Oracle"]
    assert len(session.exec(select(Competitor)).all()) == 2


def test_unknown_names_skipped_without_create(session: Any) -> None:
    assert resolve_competitors(session, ["Nobody"], create=False) == []
