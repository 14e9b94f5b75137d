"""The coverage rollup (valuetracker.rollups.coverage) equals a full recount after real writes.

A seeded random sequence of the app's own write functions (people added, marked key,
opted out, left, erased, moved to another account, imported; summaries generated,
claimed for sending, sent, marked delivered, deleted; accounts' status changed; a write
rolled back), each committed as a view would. After each step both rollup tables must
hold exactly the rows a recount from the stakeholders gives, and the portfolio's
coverage figure (and the accounts left out of the send) must equal the same counts made
person by person in Python. Runs on SQLite and, with VALUETRACKER_TEST_DATABASE_URL, on
PostgreSQL.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from valuetracker.accounts import update_account
from valuetracker.imports.runner import run_import
from valuetracker.models import (
    Account,
    AccountCoverageRollup,
    AccountSentRollup,
    Distribution,
    Stakeholder,
    ValueSummary,
)
from valuetracker.personal_data import erase_stakeholder
from valuetracker.quarters import parse_quarter
from valuetracker.rollups import coverage as coverage_rollup
from valuetracker.stakeholders.writes import create_stakeholder, set_flag
from valuetracker.summaries.coverage import portfolio_coverage
from valuetracker.summaries.scope import excluded_accounts
from valuetracker.summaries.send import _claim, mark_delivered

from .factories import make_account
from .factories.csv_files import csv_bytes

QUARTERS = ("2026-Q2", "2026-Q3")
STATUSES = ("active", "active", "churned", "prospect")


def _kept(session: Session) -> tuple[Counter[tuple[Any, ...]], Counter[tuple[Any, ...]]]:
    people = AccountCoverageRollup.__table__.c
    sent = AccountSentRollup.__table__.c
    return (Counter(tuple(r) for r in session.execute(sa.select(
                people.account_id, people.key_people, people.reachable)).all()),
            Counter(tuple(r) for r in session.execute(sa.select(
                sent.account_id, sent.quarter, sent.sent)).all()))


def _recount(session: Session) -> tuple[Counter[tuple[Any, ...]], Counter[tuple[Any, ...]]]:
    return (Counter(tuple(r) for r in session.execute(coverage_rollup.people_source()).all()),
            Counter(tuple(r) for r in session.execute(coverage_rollup.sent_source()).all()))


def _python_figure(session: Session, quarter: str) -> tuple[int, int, int, int, int]:
    """(eligible, sent, listed, accounts, accounts below full), person by person."""
    sent_to = set(session.exec(
        select(ValueSummary.stakeholder_id).join(
            Distribution, Distribution.summary_id == ValueSummary.id)
        .where(ValueSummary.quarter == quarter, ValueSummary.variant == "stakeholder",
               Distribution.status == "sent")).all())
    per: dict[int, list[int]] = {}
    for person, status in session.exec(
            select(Stakeholder, Account.status).join(Account)).all():
        if not person.is_key or person.erased_at is not None or status != "active":
            continue
        row = per.setdefault(person.account_id, [0, 0, 0])
        row[2] += 1
        if person.contact_block_reason(by_email=True) is None:
            row[0] += 1
            row[1] += person.id in sent_to
    return (sum(r[0] for r in per.values()), sum(r[1] for r in per.values()),
            sum(r[2] for r in per.values()), len(per),
            sum(1 for r in per.values() if r[1] < r[0]))


def _python_excluded(session: Session) -> dict[int, int]:
    counts: Counter[int] = Counter()
    for person, status in session.exec(select(Stakeholder, Account.status).join(Account)).all():
        if person.is_key and person.erased_at is None and status != "active":
            counts[person.account_id] += 1
    return dict(counts)


def _check(session: Session) -> None:
    assert _kept(session) == _recount(session)
    for label in QUARTERS:
        figure = portfolio_coverage(session, parse_quarter(label, 1), sa.true())
        assert (figure.eligible, figure.sent, figure.listed, figure.accounts,
                figure.accounts_below_full) == _python_figure(session, label), label
    assert {a.account_id: a.key_stakeholders for a in excluded_accounts(session, sa.true())} \
        == _python_excluded(session)


def test_coverage_rollup_equals_a_recount_after_random_writes(app: Any, cast: Any) -> None:
    rng = random.Random(1824)
    with app.app_context():
        engine = app.extensions["valuetracker.engine"]
        with Session(engine) as session:
            admin_id = session.merge(cast.admin).id
            accounts = [make_account(session, f"Coverage {i}", status="active")
                        for i in range(4)]
            session.commit()
            account_ids = [a.id for a in accounts]
            # Accounts the cast's fixtures made count too: the check covers every row.
            _check(session)
        seen: Counter[str] = Counter()

        def write(step: int) -> None:
            with Session(engine) as session:
                user = session.get(type(cast.admin), admin_id)
                people = session.exec(select(Stakeholder).where(
                    Stakeholder.account_id.in_(account_ids), Stakeholder.erased_at.is_(None))
                    .order_by(Stakeholder.id)).all()
                summaries = session.exec(select(ValueSummary).where(
                    ValueSummary.account_id.in_(account_ids)).order_by(ValueSummary.id)).all()
                action = rng.choice(("person", "person", "flag", "flag", "summary", "summary",
                                     "claim", "claim", "claim", "claim", "deliver", "deliver",
                                     "delete", "move", "erase", "status", "import",
                                     "rollback"))
                if action == "person" or not people:
                    account = session.get(Account, rng.choice(account_ids))
                    person = create_stakeholder(session, account, data={
                        "name": f"Person {step}", "is_key": rng.random() < 0.7,
                        "email": rng.choice((f"p{step}@c.example", None))}, user=user,
                        opted_out=rng.random() < 0.15, left=rng.random() < 0.15)
                    session.add(person)
                elif action == "flag":
                    set_flag(session, rng.choice(people), rng.choice(("key", "opted_out", "left")),
                             rng.random() < 0.5, user=user)
                elif action == "summary":
                    person = rng.choice(people)
                    quarter, variant = rng.choice(QUARTERS), rng.choice(("stakeholder",) * 3
                                                                        + ("internal",))
                    if session.exec(select(ValueSummary.id).where(
                            ValueSummary.stakeholder_id == person.id,
                            ValueSummary.quarter == quarter,
                            ValueSummary.variant == variant)).first() is not None:
                        return
                    summary = ValueSummary(
                        account_id=person.account_id, stakeholder_id=person.id,
                        quarter=quarter, variant=variant, file_path=f"/tmp/{step}.pdf",
                        sha256="0" * 64, generated_at=datetime(2026, 10, 2, tzinfo=UTC))
                    session.add(summary)
                    session.flush()
                    if rng.random() < 0.7:  # a sending at once (an ORM insert)
                        status = rng.choice(("sent", "failed", "skipped"))
                        session.add(Distribution(
                            summary_id=summary.id, channel="email", recipient=person.email,
                            status=status, sent_at=datetime(2026, 10, 3, tzinfo=UTC)
                            if status == "sent" else None))
                elif action == "claim" and summaries:
                    # The send's claim: an INSERT, or a bulk UPDATE of a failed sending.
                    summary = rng.choice(summaries)
                    _claim(session, summary, "x@c.example",
                           rng.choice(("sent", "sent", "pending", "failed")))
                elif action == "deliver":
                    rows = session.exec(select(Distribution).join(ValueSummary).where(
                        ValueSummary.account_id.in_(account_ids),
                        Distribution.status == "pending")).all()
                    bare = [x for x in summaries if not session.exec(select(Distribution.id)
                            .where(Distribution.summary_id == x.id)).first()]
                    if not rows and not bare:
                        return
                    row = rng.choice(rows) if rows else _claim(  # a sending left pending
                        session, rng.choice(bare), "x@c.example", "pending")
                    assert row is not None
                    row.created_at = datetime(2020, 1, 1, tzinfo=UTC)  # long unknown
                    session.flush()
                    mark_delivered(session, row, user=user)  # a bulk UPDATE by its id
                elif action == "delete" and summaries:
                    summary = rng.choice(summaries)
                    for row in session.exec(select(Distribution).where(
                            Distribution.summary_id == summary.id)).all():
                        session.delete(row)
                    session.delete(summary)
                elif action == "move":
                    person = rng.choice(people)
                    person.account_id = rng.choice(account_ids)
                    person.email = None if rng.random() < 0.2 else person.email
                    session.add(person)
                elif action == "erase":
                    erase_stakeholder(session, rng.choice(people))
                elif action == "status":
                    account = session.get(Account, rng.choice(account_ids))
                    update_account(session, account, data={
                        "name": account.name, "status": rng.choice(STATUSES)},
                        expected_version=account.version, user=user)
                elif action == "import":
                    names = [session.get(Account, i).name for i in account_ids]
                    rows = [[rng.choice(names), f"Imported {step} {n}",
                             f"i{step}.{n}@c.example", rng.choice(("yes", "no"))]
                            for n in range(rng.randrange(1, 4))]
                    report = run_import(session, "stakeholders", csv_bytes(
                        ["account", "name", "email", "is_key"], rows), actor=user)
                    assert not report.errors, report.errors
                elif action == "rollback":
                    set_flag(session, rng.choice(people), "key", True, user=user)
                    session.flush()
                    session.rollback()
                    seen[action] += 1
                    return
                else:
                    return
                seen[action] += 1
                session.commit()

        sent_rows = 0
        for step in range(90):
            write(step)
            with Session(engine) as session:
                _check(session)
                sent_rows = max(sent_rows, len(_kept(session)[1]))
        # The steps reached the paths that matter: ORM writes, bulk claims, imports.
        assert {"person", "flag", "claim", "deliver", "import", "move"} <= set(seen), seen
        assert sent_rows > 0  # some accounts had people sent a quarter's summary


def test_a_figure_read_in_the_writing_transaction_counts_the_write(app: Any,
                                                                    cast: Any) -> None:
    """Before the commit, a figure read in the same transaction already counts it."""
    with app.app_context():
        engine = app.extensions["valuetracker.engine"]
        with Session(engine) as session:
            account = make_account(session, "Same transaction", status="active")
            session.commit()
            quarter = parse_quarter("2026-Q3", 1)
            before = portfolio_coverage(session, quarter, Account.id == account.id)
            person = create_stakeholder(session, account, data={
                "name": "New key", "is_key": True, "email": "k@c.example"})
            session.add(person)
            after = portfolio_coverage(session, quarter, Account.id == account.id)
            assert (before.eligible, after.eligible) == (0, 1)
            session.rollback()
            assert portfolio_coverage(session, quarter, Account.id == account.id).eligible == 0
