"""The audit helpers: `apply_changes` sets what differs and records one event; `record`."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import select

from valuetracker import audit
from valuetracker.models import AuditEvent


def _events(session: Any) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)).all())


def test_apply_changes_sets_what_differs_and_records_before_after(session: Any,
                                                                  cast: Any) -> None:
    account = cast.account1
    account.updated_at = datetime(2020, 1, 1, tzinfo=UTC)
    diff = audit.apply_changes(
        session, account, {"name": "Acme Corporation", "tier": "key", "industry": "Robots"},
        entity="account", summary=lambda: f"account {account.name} updated", user=cast.am1)
    session.commit()
    assert diff == {"name": ["Acme Corp", "Acme Corporation"], "industry": [None, "Robots"]}
    assert (account.name, account.tier, account.industry) == ("Acme Corporation", "key",
                                                              "Robots")
    assert account.updated_at > datetime(2020, 1, 1, tzinfo=UTC)  # stamped
    [event] = _events(session)
    # The summary is taken once the change is made; outside a request, no address.
    assert (event.action, event.entity, event.entity_id, event.summary) == (
        "update", "account", str(account.id), "account Acme Corporation updated")
    assert event.details == diff and event.user_id == cast.am1.id and event.ip is None


def test_apply_changes_plain_values_extra_and_redact(session: Any, cast: Any) -> None:
    person = cast.stakeholder1
    diff = audit.apply_changes(
        session, person, {"influence": 5, "notes": "Her daughter marries in June"},
        entity="stakeholder", summary="edited", extra={"opted_out": [False, True]},
        redact=lambda d: {key: "changed" for key in d}, action="edit")
    session.commit()
    assert diff == {"influence": [3, 5], "notes": [None, "Her daughter marries in June"],
                    "opted_out": [False, True]}
    [event] = _events(session)
    assert (event.action, event.summary) == ("edit", "edited")
    assert event.details == {"influence": "changed", "notes": "changed",
                             "opted_out": "changed"}
    assert list(event.details) == ["influence", "notes", "opted_out"]  # fields, then extra


def test_apply_changes_records_a_save_that_changes_nothing(session: Any, cast: Any) -> None:
    diff = audit.apply_changes(session, cast.account1, {"name": "Acme Corp"},
                               entity="account", summary="saved")
    session.commit()
    assert diff == {}
    [event] = _events(session)
    assert event.details == {} and event.user_id is None


def test_changes_gives_plain_values_for_the_trail(cast: Any) -> None:
    old = cast.account1.annual_revenue
    diff = audit.changes(cast.account1, {"annual_revenue": Decimal("120000.50"),
                                         "tier": "key"})
    assert diff == {"annual_revenue": [str(old), "120000.50"]}  # JSON-safe text


def test_record_takes_the_user_or_the_signed_in_user(app: Any, session: Any,
                                                     cast: Any) -> None:
    audit.record(session, "create", "thing", 7, "by the CLI", user=cast.admin)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.9"}):
        audit.record(session, "create", "thing", 8, "by nobody signed in")
    session.commit()
    first, second = _events(session)
    assert (first.user_id, first.entity_id, first.ip) == (cast.admin.id, "7", None)
    assert (second.user_id, second.ip) == (None, "10.0.0.9")
