"""Account health: a score from 0 to 100 from the open signals, its band and weekly trend.

    score = max(0, 100 - sum of the weights of the account's open signals)
    band  = "healthy" (score >= 70), "watch" (>= 40), "at risk" (below 40)

The weights are one number per signal kind (its default follows the kind's severity),
an admin setting stored in `Setting` "signal_weights" (`get_weights`, `save_weights`).
Scores are one GROUP BY over the open signals, whatever the number of accounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import has_app_context
from sqlmodel import Session, select

from .. import audit
from ..cache import cached
from ..db import StaleEditError
from ..listing import DATE, ID, Filter, ListSpec, Sort
from ..models import Account, HealthSnapshot, Setting, Signal, utcnow
from ..pagination import Page, paginate
from .registry import KINDS, Kind

WEIGHTS_KEY = "signal_weights"
MAX_SCORE = 100
HEALTHY_MIN = 70
WATCH_MIN = 40
MAX_WEIGHT = 100
TREND_WEEKS = 12


def band(score: int) -> str:
    """"healthy" (>= 70), "watch" (>= 40) or "at risk"."""
    if score >= HEALTHY_MIN:
        return "healthy"
    if score >= WATCH_MIN:
        return "watch"
    return "at risk"


def week_of(day: date) -> date:
    """The Monday of `day`'s week (a snapshot's `week`)."""
    return day - timedelta(days=day.weekday())


# --- weights ------------------------------------------------------------------------------


def default_weights() -> dict[str, int]:
    return {name: k.weight for name, k in KINDS.items()}


def get_weights(session: Session) -> dict[str, int]:
    """Every kind's weight: the stored one when valid, else the kind's default. Kept
    until the `setting` table changes (every health figure starts here)."""
    if not has_app_context():
        return _read_weights(session)
    return dict(cached(session, "signal-weights", (), lambda: _read_weights(session),
                       tables=("setting",)))


def _read_weights(session: Session) -> dict[str, int]:
    row = session.get(Setting, WEIGHTS_KEY)
    stored = row.value if row is not None and isinstance(row.value, dict) else {}
    weights = default_weights()
    for name, value in stored.items():
        if name in weights and isinstance(value, int) and 0 <= value <= MAX_WEIGHT:
            weights[name] = value
    return weights


def weights_version(session: Session) -> int:
    row = session.get(Setting, WEIGHTS_KEY)
    return row.version if row is not None else 0


class WeightsError(ValueError):
    """A weight outside 0..100 or of an unknown kind."""


def save_weights(session: Session, weights: Mapping[str, int], *,
                 expected_version: Any = None, user: Any = None) -> dict[str, list[Any]]:
    """Store the weights (every kind's, 0 to 100) and record the audit event; returns
    the changes. Raises `StaleEditError` when someone saved them since `expected_version`
    (`weights_version`; 0 = never saved). Does not commit."""
    unknown = set(weights) - set(KINDS)
    if unknown:
        raise WeightsError(f"Unknown signal kind: {', '.join(sorted(unknown))}.")
    for name, value in weights.items():
        if not isinstance(value, int) or not 0 <= value <= MAX_WEIGHT:
            raise WeightsError(f"The weight of {KINDS[name].label} must be 0 to {MAX_WEIGHT}.")
    before = get_weights(session)
    after = {**before, **weights}
    row = session.get(Setting, WEIGHTS_KEY)
    version = row.version if row is not None else 0
    if expected_version is not None:
        try:
            if int(expected_version) != version:
                raise StaleEditError
        except (TypeError, ValueError):
            raise StaleEditError from None
    if row is None:
        session.add(Setting(key=WEIGHTS_KEY, value=after))
    else:
        claimed = session.execute(
            sa.update(Setting).where(Setting.key == WEIGHTS_KEY, Setting.version == version)
            .values(version=version + 1, value=after, updated_at=utcnow())
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            raise StaleEditError
        session.expire(row)
    diff = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    audit.record(session, "update", "setting", WEIGHTS_KEY, "signal weights updated",
                 details=diff, user=user)
    return diff


# --- scores -------------------------------------------------------------------------------


def _weight_case(weights: Mapping[str, int]) -> Any:
    return sa.case(*[(Signal.kind == name, w) for name, w in weights.items()], else_=0)


def scores(session: Session, *, account_ids: Iterable[int] | Any = None,
           weights: Mapping[str, int] | None = None) -> dict[int, int]:
    """{account id: score} of the accounts with open signals (the others score 100);
    one GROUP BY."""
    weights = weights if weights is not None else get_weights(session)
    # Counted per account and kind, weighed here: the same sums as a CASE over every
    # kind's weight, without building that CASE (15 kinds) on each call (the API's lists).
    query = (select(Signal.account_id, Signal.kind, sa.func.count())
             .where(Signal.cleared_at.is_(None)).group_by(Signal.account_id, Signal.kind))
    if account_ids is not None:
        ids = list(account_ids) if isinstance(account_ids, (list, tuple, set)) else account_ids
        query = query.where(Signal.account_id.in_(ids))
    totals: dict[int, int] = {}
    for account_id, kind, count in session.exec(query).all():
        totals[account_id] = totals.get(account_id, 0) + weights.get(kind, 0) * count
    return {a: max(0, MAX_SCORE - total) for a, total in totals.items()}


@dataclass
class OpenSignal:
    """An open signal as the pages show it: the row, its kind and its weight."""

    signal: Signal
    kind: Kind | None
    weight: int

    @property
    def label(self) -> str:
        return self.kind.label if self.kind else self.signal.kind

    @property
    def next_step(self) -> str:
        return self.kind.next_step if self.kind else ""

    def url(self, slug: str) -> str | None:
        return self.kind.link(self.signal, slug) if self.kind else None


def _rank(signals: list[OpenSignal]) -> list[OpenSignal]:
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(signals, key=lambda o: (-o.weight, order.get(o.signal.severity, 3),
                                          o.signal.since, o.signal.id or 0))


def open_signals(session: Session, account_ids: Iterable[int],
                 weights: Mapping[str, int] | None = None) -> dict[int, list[OpenSignal]]:
    """{account id: its open signals, heaviest first}, one query."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    weights = weights if weights is not None else get_weights(session)
    result: dict[int, list[OpenSignal]] = {i: [] for i in ids}
    rows = session.exec(select(Signal).where(Signal.account_id.in_(ids),
                                             Signal.cleared_at.is_(None))).all()
    for s in rows:
        result[s.account_id].append(OpenSignal(s, KINDS.get(s.kind), weights.get(s.kind, 0)))
    return {i: _rank(v) for i, v in result.items()}


@dataclass
class AccountHealth:
    account_id: int
    name: str
    slug: str
    score: int
    signals: list[OpenSignal] = field(default_factory=list)
    trend: list[HealthSnapshot] = field(default_factory=list)

    @property
    def band(self) -> str:
        return band(self.score)

    def top_reasons(self, count: int = 3) -> list[OpenSignal]:
        return self.signals[:count]


def account_health(session: Session, account: Account, *, today: date | None = None
                   ) -> AccountHealth:
    """One account's score, open signals (with their weights) and its weekly trend."""
    weights = get_weights(session)
    signals = open_signals(session, [account.id], weights)[account.id]
    score = max(0, MAX_SCORE - sum(o.weight for o in signals))
    since = week_of(today or date.today()) - timedelta(weeks=TREND_WEEKS - 1)
    trend = list(session.exec(select(HealthSnapshot)
                              .where(HealthSnapshot.account_id == account.id,
                                     HealthSnapshot.week >= since)
                              .order_by(HealthSnapshot.week)).all())
    return AccountHealth(account.id, account.name, account.slug, score, signals, trend)


def trend_chart(health: AccountHealth) -> Any:
    """The account's weekly scores as a small line (oldest first)."""
    from ..charts import sparkline

    points = [(f"Week of {s.week.isoformat()}", s.score) for s in health.trend]
    return sparkline(points, title=f"Health of {health.name}, week by week", width=160,
                     height=28)


def score_of(taken: Any) -> Any:
    """SQL: the health score from the weights `taken` by the open signals (NULL: none)."""
    return sa.case((taken.is_(None), MAX_SCORE), (taken >= MAX_SCORE, 0),
                   else_=MAX_SCORE - taken)


# The account list's `health` filter: score bounds [low, high) of each band, and
# `below_healthy` (watch or at risk: the portfolio's "Accounts at risk").
HEALTH_FILTERS: dict[str, tuple[int | None, int | None]] = {
    "healthy": (HEALTHY_MIN, None), "watch": (WATCH_MIN, HEALTHY_MIN),
    "at_risk": (None, WATCH_MIN), "below_healthy": (None, HEALTHY_MIN)}


def health_condition(session: Session, name: str) -> Any:
    """SQL over Account: its score (as `accounts_health` computes it) is in one of
    `HEALTH_FILTERS`."""
    weights = get_weights(session)
    taken = (select(sa.func.sum(_weight_case(weights)))
             .where(Signal.account_id == Account.id, Signal.cleared_at.is_(None))
             .correlate(Account).scalar_subquery())
    score = score_of(taken)
    low, high = HEALTH_FILTERS[name]
    return sa.and_(score >= low if low is not None else sa.true(),
                   score < high if high is not None else sa.true())


def accounts_health(session: Session, scope: Any = None, *, slugs: Iterable[str] | None = None,
                    below: int | None = None, limit: int | None = None
                    ) -> list[AccountHealth]:
    """Active accounts (in `scope`, an SQL condition over Account; or those of `slugs`,
    whatever their status), lowest score first then by name, each with its open signals.

    `below`: only accounts scoring under it (the portfolio's watch and at-risk list uses
    `HEALTHY_MIN`). Three queries: the accounts with their scores, and their signals.
    """
    weights = get_weights(session)
    totals = (select(Signal.account_id, sa.func.sum(_weight_case(weights)).label("taken"))
              .where(Signal.cleared_at.is_(None)).group_by(Signal.account_id)
              .subquery("taken"))
    score = score_of(totals.c.taken)
    query = (select(Account.id, Account.name, Account.slug, score.label("score"))
             .outerjoin(totals, totals.c.account_id == Account.id))
    if slugs is not None:
        query = query.where(Account.slug.in_(list(slugs)))
    else:
        query = query.where(Account.status == "active")
    if scope is not None:
        query = query.where(scope)
    if below is not None:
        query = query.where(score < below)
    query = query.order_by(score, Account.name)
    if limit is not None:
        query = query.limit(limit)
    rows = session.exec(query).all()
    signals = open_signals(session, [r[0] for r in rows], weights)
    return [AccountHealth(i, n, s, int(sc), signals.get(i, [])) for i, n, s, sc in rows]


def top_signals_text(session: Session, *, account_ids: Any = None, count: int = 3
                     ) -> dict[int, str]:
    """{account id: its `count` heaviest open signals as one text, "Label: message; …"},
    read as plain columns (exports: one entry per account, not per signal row)."""
    weights = get_weights(session)
    query = (select(Signal.account_id, Signal.kind, Signal.severity, Signal.since,
                    Signal.message, Signal.id).where(Signal.cleared_at.is_(None)))
    if account_ids is not None:
        query = query.where(Signal.account_id.in_(account_ids))
    order = {"high": 0, "medium": 1, "low": 2}
    best: dict[int, list[tuple[Any, ...]]] = {}
    for account_id, name, severity, since, message, signal_id in session.exec(query):
        rank = (-weights.get(name, 0), order.get(severity, 3), since, signal_id)
        kept = best.setdefault(account_id, [])
        kept.append((rank, name, message))
        kept.sort(key=lambda item: item[0])
        del kept[count:]
    return {a: "; ".join(f"{KINDS[n].label if n in KINDS else n}: {m}" for _, n, m in kept)
            for a, kept in best.items()}


def save_snapshots(session: Session, *, account_ids: Iterable[int] | None, today: date) -> int:
    """Upsert this week's snapshot of every active account asked about (None: all) from
    its current open signals. Returns how many were written. Does not commit."""
    week = week_of(today)
    query = select(Account.id).where(Account.status == "active")
    if account_ids is not None:
        query = query.where(Account.id.in_(list(account_ids)))
    ids = list(session.exec(query).all())
    if not ids:
        return 0
    current = scores(session, account_ids=ids if account_ids is not None else None)
    existing = {s.account_id: s for s in session.exec(
        select(HealthSnapshot).where(HealthSnapshot.week == week,
                                     HealthSnapshot.account_id.in_(ids)
                                     if account_ids is not None else sa.true())).all()}
    now = utcnow()
    for account_id in ids:
        value = current.get(account_id, MAX_SCORE)
        snap = existing.get(account_id)
        if snap is None:
            session.add(HealthSnapshot(account_id=account_id, week=week, score=value,
                                       band=band(value), updated_at=now))
        elif snap.score != value:
            snap.score, snap.band, snap.updated_at = value, band(value), now
            session.add(snap)
    return len(ids)


__all__ = ["HEALTHY_MIN", "MAX_SCORE", "WATCH_MIN", "AccountHealth", "OpenSignal", "WeightsError",
           "account_health", "accounts_health", "band", "default_weights", "get_weights",
           "open_signals", "save_snapshots", "save_weights", "scores", "top_signals_text",
           "trend_chart", "week_of", "weights_version", "HEALTH_FILTERS", "health_condition",
           "score_of"]


# --- the list of open signals (`/signals`) ------------------------------------------------

# Weights are a setting, so the list's query labels its weight column and sorts by the
# label: the sort is declared once here, the CASE built from the weights of the day.
_WEIGHT = sa.literal_column("weight")
_SEVERITY_RANK = sa.case({"high": 3, "medium": 2, "low": 1}, value=Signal.severity, else_=0)
SIGNAL_LIST = ListSpec(
    endpoint="accounts.signal_list", title="Signals",
    sorts={
        "weight": Sort("Weight", (_WEIGHT,)),
        "severity": Sort("Severity", (_SEVERITY_RANK,)),
        "since": Sort("Since", (Signal.since,)),
        "account": Sort("Account", (sa.func.lower(Account.name),)),
        "kind": Sort("Signal", (Signal.kind,)),
    },
    default_sort="-weight",
    filters=(Filter("account", "Account", ID), Filter("kind", "Signal"),
             Filter("severity", "Severity"), Filter("since_from", "Since from", DATE),
             Filter("since_to", "Since to", DATE)),
    # as the account page ranks them: heaviest, then most severe, oldest, first opened
    tie_breaks=(_SEVERITY_RANK.desc(), Signal.since.asc(), Signal.id.asc()))


@dataclass
class ListedSignal(OpenSignal):
    """An open signal of the list, with its account."""

    account_name: str = ""
    account_slug: str = ""


@dataclass(frozen=True)
class SignalFilters:
    """What the signals list shows (`SIGNAL_LIST`'s filters, parsed)."""

    account_id: int | None = None
    kind: str | None = None
    severity: str | None = None
    since_from: date | None = None
    since_to: date | None = None
    sort: str = SIGNAL_LIST.default_sort


def _signal_rows(session: Session, scope: Any, filters: SignalFilters) -> Any:
    """The open signals in `scope` (an SQL condition over Signal.account_id) matching
    `filters`, with their account and weight, in the list's order."""
    query = (select(Signal, Account.name, Account.slug,
                    _weight_case(get_weights(session)).label("weight"))
             .join(Account, Account.id == Signal.account_id)
             .where(Signal.cleared_at.is_(None), scope))
    conditions = [
        Signal.account_id == filters.account_id if filters.account_id is not None else None,
        Signal.kind == filters.kind if filters.kind else None,
        Signal.severity == filters.severity if filters.severity else None,
        Signal.since >= filters.since_from if filters.since_from else None,
        Signal.since <= filters.since_to if filters.since_to else None,
    ]
    query = query.where(*[c for c in conditions if c is not None])
    return query.order_by(*SIGNAL_LIST.order_by(filters.sort))


def _listed(row: Any) -> ListedSignal:
    signal, name, slug, weight = row
    return ListedSignal(signal, KINDS.get(signal.kind), int(weight), name, slug)


def list_signals(session: Session, scope: Any, filters: SignalFilters, *, page: int,
                 size: int) -> Page:
    """One page of the signals list (two queries: the count and the page)."""
    found = paginate(session, _signal_rows(session, scope, filters), number=page, size=size)
    found.items = [_listed(r) for r in found.items]
    return found


def all_signals(session: Session, scope: Any, filters: SignalFilters) -> list[ListedSignal]:
    """Every row of the signals list (its CSV), one query."""
    return [_listed(r) for r in session.exec(_signal_rows(session, scope, filters)).all()]


def signal_account_options(session: Session, scope: Any, include: int | None = None
                           ) -> list[tuple[int, str]]:
    """(id, name) of the accounts in `scope` with open signals, for the list's account
    filter, and the account `include` (the one asked for) though it has none: a health
    score of 100 opens an empty list, the account named."""
    has_open = (select(Signal.id).where(Signal.account_id == Account.id,
                                        Signal.cleared_at.is_(None)).exists())
    offered = has_open if include is None else sa.or_(has_open, Account.id == include)
    return [(i, n) for i, n in session.exec(
        select(Account.id, Account.name).where(scope, offered)
        .order_by(sa.func.lower(Account.name), Account.id)).all()]
