"""The win/loss rollup (valuetracker.rollups.deals) equals a full recount after real writes.

A seeded random sequence of the app's own write functions (create, close, reopen and
edit deals, change their competitors, debrief, request and record interviews, change an
account's segment, import deals), each committed as a view would. After each step the
rollup table must hold exactly the rows a recount from the deals gives, and the win
rates of arbitrary periods (whole and partial months) must equal a count in Python.
Runs on SQLite and, with VALUETRACKER_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from valuetracker.accounts import update_account
from valuetracker.imports.runner import run_import
from valuetracker.models import Account, Deal, DealCompetitor, DealRollup, WinLossInterview
from valuetracker.rollups import deals as deal_rollups
from valuetracker.winloss.analytics import win_rates
from valuetracker.winloss.deals import create_deal, debrief_deal, update_deal
from valuetracker.winloss.interviews import Recording, record_interview, request_interview

from .factories import make_account, make_factor
from .factories.csv_files import csv_bytes

SEGMENTS = ("Enterprise", "Mid-market", "SMB", None)
COMPETITORS = ("Acme", "Globex", "Initech")
PRODUCTS = ("Core", "Analytics", None)


def _normal(row: Any) -> tuple[Any, ...]:
    values = list(row)
    values[1] = deal_rollups.as_date(values[1])
    values[7] = None if values[7] is None else Decimal(values[7]).quantize(Decimal("0.01"))
    return tuple(values)


def _recount(session: Session) -> Counter[tuple[Any, ...]]:
    """Every rollup row a recount from the deals gives (not written anywhere)."""
    dialect = session.get_bind().dialect.name
    rows: Counter[tuple[Any, ...]] = Counter()
    for kind in deal_rollups.KINDS:
        rows.update(_normal(r) for r in session.execute(
            deal_rollups.source_rows(dialect, kind, [])).all())
    return rows


def _kept(session: Session) -> Counter[tuple[Any, ...]]:
    table = DealRollup.__table__.c
    return Counter(_normal(r) for r in session.execute(sa.select(
        table.kind, table.month, table.outcome, table.ref_id, table.ref2_id, table.label,
        table.n, table.amount, table.rated, table.rating_sum, table.weighted,
        table.importance_sum)).all())


def _python_win_rates(session: Session, since: date | None,
                      until: date | None) -> dict[str, tuple[int, int, int]]:
    """(won, lost, no decision) per segment, counted deal by deal."""
    counts: dict[str, list[int]] = {}
    for outcome, closed_on, segment in session.exec(
            select(Deal.outcome, Deal.closed_on, Account.segment)
            .join(Account, Account.id == Deal.account_id, isouter=True)).all():
        if outcome == "open" or (since and (closed_on is None or closed_on < since)) \
                or (until and (closed_on is None or closed_on > until)):
            continue
        row = counts.setdefault(segment or "(none)", [0, 0, 0])
        row[("won", "lost", "no_decision").index(outcome)] += 1
    return {k: tuple(v) for k, v in counts.items()}  # type: ignore[misc]


def _check(session: Session, rng: random.Random) -> None:
    assert _kept(session) == _recount(session)
    start = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 500))
    for since, until in ((None, None), (start, None), (None, start),
                         (start, start + timedelta(days=rng.randrange(0, 200))),
                         (start.replace(day=1), start.replace(day=1) + timedelta(days=89))):
        shown = {r.group: (r.won, r.lost, r.no_decision)
                 for r in win_rates(session, by="segment", since=since, until=until)}
        assert shown == _python_win_rates(session, since, until), (since, until)


def _deal_data(rng: random.Random, account: Account, user_id: int, **kw: Any) -> dict[str, Any]:
    outcome = kw.pop("outcome", rng.choice(("open", "won", "won", "lost", "no_decision")))
    closed = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 600))
    data = {"name": f"Deal {rng.randrange(10**6)}", "account_id": account.id,
            "outcome": outcome, "amount": Decimal(rng.randrange(1000, 90000)),
            "product": rng.choice(PRODUCTS), "owner_id": user_id, "owner_name": None,
            "opened_on": closed - timedelta(days=60),
            "closed_on": None if outcome == "open" else closed, "external_id": None}
    data.update(kw)
    return data


def test_rollup_equals_a_recount_after_random_writes(app: Any, cast: Any) -> None:
    rng = random.Random(18)
    with app.app_context():
        engine = app.extensions["valuetracker.engine"]
        with Session(engine) as session:
            admin = session.merge(cast.admin)
            accounts = [make_account(session, f"Rollup {i}", segment=SEGMENTS[i % 4])
                        for i in range(4)]
            factors = [make_factor(session, name) for name in ("Price", "Support", "Fit")]
            session.commit()
            account_ids = [a.id for a in accounts]
            factor_ids = [f.id for f in factors]
            admin_id = admin.id

        def write(step: int) -> None:
            with Session(engine) as session:
                user = session.get(type(cast.admin), admin_id)
                deals = session.exec(select(Deal).order_by(Deal.id)).all()
                closed = [d for d in deals if d.outcome != "open"]
                action = rng.choice(("create", "create", "edit", "reopen", "debrief",
                                     "interview", "record", "segment", "import"))
                if action == "create" or not deals:
                    account = session.get(Account, rng.choice(account_ids))
                    create_deal(session, data=_deal_data(rng, account, admin_id),
                                competitors=rng.sample(COMPETITORS, rng.randrange(0, 3)),
                                primary_competitor=None, user=user)
                elif action in ("edit", "reopen"):
                    deal = rng.choice(deals)
                    account = session.get(Account, rng.choice(account_ids))
                    extra = {"outcome": "open"} if action == "reopen" else {}
                    update_deal(session, deal, data=_deal_data(rng, account, admin_id, **extra),
                                expected_version=deal.version,
                                competitors=rng.sample(COMPETITORS, rng.randrange(0, 3)),
                                primary_competitor=None, user=user)
                elif action == "debrief":
                    deal = rng.choice(deals)
                    debrief_deal(session, deal, data={
                        "outcome": rng.choice(("won", "lost", "no_decision")),
                        "closed_on": date(2025, 1, 1) + timedelta(days=rng.randrange(600)),
                        "rep_reason_id": rng.choice(factor_ids), "rep_notes": None},
                        expected_version=deal.version, user=user)
                elif action == "interview" and closed:
                    session.add(request_interview(session, rng.choice(closed), user=user))
                elif action == "record":
                    interviews = session.exec(select(WinLossInterview)).all()
                    if not interviews:
                        return
                    interview = rng.choice(interviews)
                    status = rng.choice(("completed", "completed", "declined", "scheduled"))
                    done = datetime(2025, 3, 1, 12, tzinfo=UTC) + timedelta(
                        days=rng.randrange(600))
                    record_interview(session, interview, data={
                        "status": status, "primary_reason_id": rng.choice(factor_ids),
                        "completed_at": done if status == "completed" else None},
                        recording=Recording(ratings={
                            fid: (rng.randrange(1, 6), rng.choice((None, 3, 5)),
                                  rng.choice(("win_driver", "loss_driver", "neutral")))
                            for fid in rng.sample(factor_ids, rng.randrange(0, 4))}),
                        expected_version=interview.version, user=user)
                elif action == "segment":
                    account = session.get(Account, rng.choice(account_ids))
                    update_account(session, account, data={
                        "name": account.name, "segment": rng.choice(SEGMENTS)},
                        expected_version=account.version, user=user)
                elif action == "import":
                    names = [session.get(Account, i).name for i in account_ids]
                    rows = [(f"EXT-{rng.randrange(8)}", rng.choice(names), f"Imported {step}",
                             str(rng.randrange(500, 5000)),
                             (date(2025, 1, 1) + timedelta(days=rng.randrange(600))).isoformat(),
                             rng.choice(("won", "lost", "no_decision")),
                             rng.choice(COMPETITORS)) for _ in range(rng.randrange(1, 4))]
                    rows = list({r[0]: r for r in rows}.values())
                    report = run_import(session, "deals", csv_bytes(
                        ["external_id", "account", "name", "amount", "closed_on", "outcome",
                         "competitors"], rows), actor=user)
                    assert not report.errors, report.errors
                session.commit()

        for step in range(45):
            write(step)
            with Session(engine) as session:
                _check(session, rng)
        with Session(engine) as session:
            # The steps did reach every kind of row the rollup keeps.
            kinds = {row[0] for row in _kept(session)}
            assert {"segment", "competitor", "interviews", "rep_reason"} <= kinds
            assert session.exec(select(sa.func.count()).select_from(DealCompetitor)).one() > 0


def test_a_write_recounts_only_its_months(app: Any, cast: Any) -> None:
    """Changing one deal recounts its month only: a mark left on another month's row
    (written past the app) survives the write, and the deal's month is counted anew."""
    with app.app_context():
        engine = app.extensions["valuetracker.engine"]
        with Session(engine) as session:
            user = session.merge(cast.admin)
            account = make_account(session, "Months", segment="SMB")
            for month in (1, 2, 3):
                create_deal(session, data=_deal_data(random.Random(month), account, user.id,
                                                     outcome="won",
                                                     closed_on=date(2026, month, 10)),
                            competitors=[], primary_competitor=None, user=user)
            session.commit()
        table = DealRollup.__table__
        with engine.begin() as conn:
            conn.execute(sa.update(table).where(table.c.month == date(2026, 1, 1),
                                                table.c.kind == "segment")
                         .values(n=table.c.n + 100))
        with Session(engine) as session:
            user = session.merge(cast.admin)
            deal = session.exec(select(Deal).where(Deal.closed_on == date(2026, 2, 10))).one()
            debrief_deal(session, deal, data={"outcome": "lost", "closed_on": deal.closed_on},
                         expected_version=deal.version, user=user)
            session.commit()
            marked = session.exec(select(DealRollup.n).where(
                DealRollup.month == date(2026, 1, 1), DealRollup.kind == "segment")).one()
            assert marked == 101
            february = session.exec(select(DealRollup.outcome, DealRollup.n).where(
                DealRollup.month == date(2026, 2, 1), DealRollup.kind == "segment")).all()
            assert february == [("lost", 1)]
        with engine.begin() as conn:
            deal_rollups.rebuild(conn)
        with Session(engine) as session:
            assert _kept(session) == _recount(session)
            figures = {r.group: (r.won, r.lost) for r in win_rates(session, by="segment")}
            assert figures == {"SMB": (2, 1)}


def test_split_period_covers_every_day_once() -> None:
    rng = random.Random(7)
    for _ in range(300):
        since = date(2025, 1, 1) + timedelta(days=rng.randrange(400))
        until = since + timedelta(days=rng.randrange(-5, 150))
        split = deal_rollups.split_period(since, until)
        days: list[date] = []
        if split.whole is not None:
            first, last = split.whole
            month = first
            while month <= last:
                day = month
                while day.month == month.month:
                    days.append(day)
                    day += timedelta(days=1)
                month = day
        for low, high in split.edges:
            day = low
            while day <= high:
                days.append(day)
                day += timedelta(days=1)
        expected = [since + timedelta(days=i) for i in range((until - since).days + 1)]
        assert sorted(days) == expected, (since, until, split)


def test_seed_demo_leaves_the_rollup_equal_to_a_recount(app: Any, runner: Any) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context(), Session(app.extensions["valuetracker.engine"]) as session:
        kept = _kept(session)
        assert sum(n for row, n in kept.items() if row[0] == "segment") > 0
        assert kept == _recount(session)


def test_a_write_rewrites_only_its_own_groups_rows(app: Any, cast: Any) -> None:
    """A deal moving from won to lost rewrites the rows of its own groups (its segment,
    product, owner and competitors, in its old and its new outcome); the rows of the
    other groups of its month keep their identity and counts."""
    with app.app_context():
        engine = app.extensions["valuetracker.engine"]
        with Session(engine) as session:
            user = session.merge(cast.admin)
            small = make_account(session, "Groups small", segment="SMB")
            large = make_account(session, "Groups large", segment="Enterprise")
            for account, outcome, product in ((small, "won", "Core"),
                                              (large, "won", "Analytics"),
                                              (large, "lost", "Analytics")):
                create_deal(session, data=_deal_data(
                    random.Random(3), account, user.id, outcome=outcome, product=product,
                    closed_on=date(2026, 2, 10)), competitors=[], primary_competitor=None,
                    user=user)
            session.commit()
        table = DealRollup.__table__.c

        def snapshot() -> dict[int, tuple[Any, ...]]:
            with engine.connect() as conn:
                return {r[0]: _normal(r[1:]) for r in conn.execute(sa.select(
                    table.id, table.kind, table.month, table.outcome, table.ref_id,
                    table.ref2_id, table.label, table.n, table.amount, table.rated,
                    table.rating_sum, table.weighted, table.importance_sum)).all()}

        before = snapshot()
        with Session(engine) as session:
            user = session.merge(cast.admin)
            deal = session.exec(select(Deal).where(Deal.product == "Core")).one()
            debrief_deal(session, deal, data={"outcome": "lost", "closed_on": deal.closed_on},
                         expected_version=deal.version, user=user)
            session.commit()
        after = snapshot()
        kept = {row_id for row_id in before.keys() & after.keys()
                if before[row_id] == after[row_id]}
        rewritten = {(row[0], row[2], row[5])
                     for row_id, row in (*before.items(), *after.items())
                     if row_id not in kept}
        assert rewritten == {
            (kind, outcome, label) for outcome in ("won", "lost") for kind, label in
            (("segment", "SMB"), ("product", "Core"), ("owner", None),
             ("competitor", None))}
        untouched = {(row[0], row[2], row[5]) for row_id, row in before.items()
                     if row_id in kept}
        assert untouched == {(kind, outcome, label) for outcome in ("won", "lost")
                             for kind, label in (("segment", "Enterprise"),
                                                 ("product", "Analytics"))}
        with Session(engine) as session:
            assert _kept(session) == _recount(session)
