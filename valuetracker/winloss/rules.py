"""Program rules: which closed deals get an interview request (the test itself is
`deals.apply_program_rules`). The write functions record their audit event and never
commit."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from .. import audit
from ..competitors import resolve_competitors
from ..db import check_version
from ..models import ProgramRule, User
from .errors import WinLossError


def create_rule(session: Session, *, data: dict[str, Any],
                user: User | None = None) -> ProgramRule:
    """Add a rule: name, outcome (None: any closed), minimum amount, competitor (a
    known name or alias, None: any) and segment.

    Raises WinLossError (field "competitor") for an unknown competitor. Records
    "create program_rule". Does not commit.
    """
    competitor_id = None
    if data.get("competitor"):
        found = resolve_competitors(session, [data["competitor"]], create=False)
        if not found:
            raise WinLossError("No competitor by that name or alias.", field="competitor")
        competitor_id = found[0].id
    rule = ProgramRule(name=data["name"], outcome=data.get("outcome"),
                       min_amount=data.get("min_amount"), competitor_id=competitor_id,
                       segment=data.get("segment"))
    audit.add_created(session, rule, entity="program_rule",
                      summary=f"program rule {rule.name} created", user=user)
    return rule


def toggle_rule(session: Session, rule: ProgramRule, *, expected_version: Any,
                user: User | None = None) -> None:
    """Pause an active rule or activate a paused one, as seen at `expected_version`.

    Raises `db.StaleEditError` (nothing changed) when someone changed the rule since:
    two clicks on a page loaded before would otherwise undo each other. Records
    "update program_rule". Does not commit."""
    check_version(session, rule, expected_version)
    rule.active = not rule.active
    session.add(rule)
    audit.record(session, "update", "program_rule", rule.id,
                 f"program rule {rule.name} {'activated' if rule.active else 'paused'}",
                 user=user)
