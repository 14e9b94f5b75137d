"""Adding and editing people: the checks (reports-to, unique e-mail and external id),
the writes (each records its audit event and emits the domain event) and the choices the
edit form offers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from .. import audit, events
from ..db import check_version
from ..forms import clean_form_data
from ..models import OPT_OUT_LINK, Account, Stakeholder, User, utcnow

# Not "last contacted": it derives from the person's activity timeline
# (activities/contact.py), so it is logged there, never typed in here.
EDITABLE_FIELDS = (
    "name", "title", "email", "phone", "buying_role", "influence", "sentiment", "is_key",
    "reports_to_id", "preferences", "notes", "preferred_channel", "external_id",
)
# The yes/no flags a POST button (or the form) can set: flag -> timestamp column or bool.
FLAGS = {"key": "is_key", "opted_out": "opted_out_at", "left": "left_company_at"}


class ReportsToError(ValueError):
    """The chosen manager is not at the same account, or would make a reporting loop."""


class DuplicateEmailError(ValueError):
    """Someone at the same account already has this e-mail address (`.person`)."""

    def __init__(self, person: Stakeholder) -> None:
        super().__init__(f"{person.name} at this account already has this e-mail address.")
        self.person = person



# --- changes ----------------------------------------------------------------------------

def check_reports_to(session: Session, *, account_id: int, stakeholder_id: int | None,
                     manager_id: int | None) -> None:
    """Raise ReportsToError unless `manager_id` is a colleague at the same account and
    choosing them creates no loop (A reports to B reports to A)."""
    if manager_id is None:
        return
    if stakeholder_id is not None and manager_id == stakeholder_id:
        raise ReportsToError("A person cannot report to themselves.")
    chain = dict(session.exec(
        select(Stakeholder.id, Stakeholder.reports_to_id)
        .where(Stakeholder.account_id == account_id)
    ).all())
    if manager_id not in chain:
        raise ReportsToError("Choose someone at the same account.")
    current: int | None = manager_id
    steps = 0
    while current is not None and steps <= len(chain):
        if current == stakeholder_id:
            raise ReportsToError("That would make a reporting loop: this person is above "
                                 "the chosen manager.")
        current = chain.get(current)
        steps += 1


def clean_stakeholder_data(data: dict[str, Any]) -> dict[str, Any]:
    """Trim text, empty optional text to None, emails lower-case; editable fields only."""
    clean = clean_form_data(data, EDITABLE_FIELDS)
    if clean.get("email"):
        clean["email"] = clean["email"].lower()
    if "influence" in clean and clean["influence"] is not None:
        clean["influence"] = int(clean["influence"])
    return clean


def _apply_state(person: Stakeholder, *, opted_out: bool | None, left: bool | None) -> list[str]:
    """Set or clear the opted-out / left timestamps (keeping the original time if set).
    Returns the events of the marks that were just set (see `emit_state`)."""
    now = utcnow()
    started: list[str] = []
    if opted_out is not None:
        if opted_out and person.opted_out_at is None:
            started.append("stakeholder.opted_out")
        person.opted_out_at = (person.opted_out_at or now) if opted_out else None
        if person.opted_out_at is None:
            person.opted_out_via = None  # opted back in: a later opt-out says its own way
    if left is not None:
        if left and person.left_company_at is None:
            started.append("stakeholder.left")
        person.left_company_at = (person.left_company_at or now) if left else None
    return started


def emit_state(session: Session, person: Stakeholder, names: list[str], *,
               user: User | None = None, via: str = "web") -> None:
    """Emit stakeholder.left / stakeholder.opted_out for the marks just set on a person
    (who has an id: flushed). `via` says how (web, import, link)."""
    for name in names:
        events.emit(session, name, account_id=person.account_id, entity="stakeholder",
                    entity_id=person.id, user=user,
                    data={"name": person.name, "is_key": person.is_key,
                          "buying_role": person.buying_role, "via": via})


def same_email(session: Session, *, account_id: int, email: str | None,
               exclude_id: int | None = None) -> Stakeholder | None:
    """The account's (not erased) person who already has this e-mail address, if any;
    addresses compare without regard to case or surrounding spaces."""
    address = (email or "").strip().lower()
    if not address:
        return None
    query = select(Stakeholder).where(Stakeholder.account_id == account_id,
                                      sa.func.lower(Stakeholder.email) == address,
                                      Stakeholder.erased_at.is_(None))
    if exclude_id is not None:
        query = query.where(Stakeholder.id != exclude_id)
    return session.exec(query.order_by(Stakeholder.id).limit(1)).first()


def external_id_taken(session: Session, *, account_id: int, external_id: str | None,
                      exclude_id: int | None = None) -> bool:
    """Whether someone else at the account has this external (CRM) id: they are unique
    per account (and a database index says so)."""
    value = (external_id or "").strip()
    if not value:
        return False
    query = select(Stakeholder.id).where(Stakeholder.account_id == account_id,
                                         Stakeholder.external_id == value)
    if exclude_id is not None:
        query = query.where(Stakeholder.id != exclude_id)
    return session.exec(query.limit(1)).first() is not None


def check_unique_email(session: Session, *, account_id: int, email: str | None,
                       exclude_id: int | None = None) -> None:
    """Raise DuplicateEmailError when someone else at the account has this address."""
    existing = same_email(session, account_id=account_id, email=email, exclude_id=exclude_id)
    if existing is not None:
        raise DuplicateEmailError(existing)


def create_stakeholder(session: Session, account: Account, *, data: dict[str, Any],
                       opted_out: bool = False, left: bool = False,
                       user: User | None = None) -> Stakeholder:
    """Add a person to an account.

    Checks reports-to (raises ReportsToError) and that nobody else at the account has
    the e-mail address (DuplicateEmailError); records a "create stakeholder" event
    (without personal details). Does not commit.
    """
    values = clean_stakeholder_data(data)
    check_reports_to(session, account_id=account.id, stakeholder_id=None,
                     manager_id=values.get("reports_to_id"))
    check_unique_email(session, account_id=account.id, email=values.get("email"))
    person = Stakeholder(account_id=account.id, **values)
    started = _apply_state(person, opted_out=opted_out, left=left)
    audit.add_created(session, person, entity="stakeholder",
                      summary=f"stakeholder {person.name} added to {account.name}", user=user)
    emit_state(session, person, started, user=user)
    return person


def update_stakeholder(session: Session, person: Stakeholder, *, data: dict[str, Any],
                       expected_version: Any, opted_out: bool | None = None,
                       left: bool | None = None, user: User | None = None
                       ) -> dict[str, list[Any]]:
    """Save an edit under optimistic locking.

    Checks reports-to (ReportsToError), the e-mail address (DuplicateEmailError) and the
    version (`db.StaleEditError`, nothing changed). Records an "update stakeholder"
    event whose diff says that notes and preferences changed, never their text; returns
    the full diff. Does not commit.
    """
    values = clean_stakeholder_data(data)
    check_reports_to(session, account_id=person.account_id, stakeholder_id=person.id,
                     manager_id=values.get("reports_to_id"))
    check_unique_email(session, account_id=person.account_id, email=values.get("email"),
                       exclude_id=person.id)
    check_version(session, person, expected_version)
    before = (person.opted_out_at is not None, person.left_company_at is not None)
    started = _apply_state(person, opted_out=opted_out, left=left)
    after = (person.opted_out_at is not None, person.left_company_at is not None)
    state: dict[str, list[Any]] = {}
    if before[0] != after[0]:
        state["opted_out"] = [before[0], after[0]]
    if before[1] != after[1]:
        state["left_company"] = [before[1], after[1]]
    diff = audit.apply_changes(session, person, values, entity="stakeholder",
                               summary=lambda: f"stakeholder {person.name} updated",
                               extra=state, redact=_private_safe, user=user)
    emit_state(session, person, started, user=user)
    return diff


def _private_safe(diff: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Audit that notes changed, not their text: the trail must not keep personal notes."""
    return {key: (["…", "…"] if key in ("notes", "preferences") else value)
            for key, value in diff.items()}


def set_flag(session: Session, person: Stakeholder, flag: str, on: bool, *,
             user: User | None = None) -> bool:
    """Mark or unmark key / opted out / left the company. Returns whether anything changed.

    Bumps the version, so an edit form opened before cannot silently undo the mark.
    Records a "flag stakeholder" event when something changed. Does not commit.
    """
    column = FLAGS[flag]
    current = bool(getattr(person, column))
    if current == on:
        return False
    check_version(session, person, person.version)
    if flag == "key":
        person.is_key = on
    started = [] if flag == "key" else _apply_state(
        person, opted_out=on if flag == "opted_out" else None,
        left=on if flag == "left" else None)
    person.updated_at = utcnow()
    session.add(person)
    audit.record(session, "flag", "stakeholder", person.id,
                 f"stakeholder {person.name}: {flag.replace('_', ' ')} "
                 f"{'set' if on else 'cleared'}", details={flag: [current, on]}, user=user)
    emit_state(session, person, started, user=user)
    return True


def opt_out_by_link(session: Session, person: Stakeholder) -> bool:
    """The person opted out themselves, through the unsubscribe link of one of our mails
    (the page's button, or their mail client's one-click unsubscribe). Returns whether
    anything changed: someone already opted out (by any way) keeps their date.

    Bumps the version (an edit form opened before cannot undo it) and records an
    "opt_out stakeholder" event through "link", without a user. Does not commit.
    """
    if person.opted_out_at is not None:
        return False
    check_version(session, person, person.version)
    started = _apply_state(person, opted_out=True, left=None)
    person.opted_out_via = OPT_OUT_LINK
    person.updated_at = utcnow()
    session.add(person)
    audit.record(session, "opt_out", "stakeholder", person.id,
                 f"stakeholder {person.name} opted out through the unsubscribe link",
                 details={"opted_out": [False, True], "through": "link"})
    emit_state(session, person, started, via="link")
    return True


def manager_choices(session: Session, account: Account, *, exclude_id: int | None = None
                    ) -> list[tuple[int, str]]:
    """(id, name) of the account's people someone could report to (not erased ones)."""
    query = (select(Stakeholder.id, Stakeholder.name)
             .where(Stakeholder.account_id == account.id, Stakeholder.erased_at.is_(None))
             .order_by(sa.func.lower(Stakeholder.name)))
    if exclude_id is not None:
        query = query.where(Stakeholder.id != exclude_id)
    return [(row[0], row[1]) for row in session.exec(query).all()]


def direct_reports(session: Session, person: Stakeholder) -> list[Stakeholder]:
    return list(session.exec(
        select(Stakeholder).where(Stakeholder.reports_to_id == person.id,
                                  Stakeholder.erased_at.is_(None))
        .order_by(sa.func.lower(Stakeholder.name))
    ).all())

