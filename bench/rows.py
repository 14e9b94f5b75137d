"""The rows of a benchmark data set, table by table (see bench/generate.py)."""

from __future__ import annotations

import hashlib
import math
import random
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from valuetracker.models import (
    Account,
    AccountMember,
    Competitor,
    DealCompetitor,
    DecisionFactor,
    Distribution,
    FactorRating,
    GuideQuestion,
    InterviewAnswer,
    InterviewGuide,
    InterviewQuote,
    LoyaltyPulse,
    ProgramRule,
    Signal,
    Stakeholder,
    Task,
    User,
    ValueCommitment,
    ValueConfirmation,
    ValueEntry,
    ValueEntryBeneficiary,
    ValueSummary,
    WinLossInterview,
    slugify,
)
from valuetracker.models.winloss import Deal
from valuetracker.quarters import quarter_of

from .vocab import (
    COMMITMENT_TITLES,
    COMPETITORS,
    DRIVER_MIX,
    DRIVERS,
    ENTRY_TITLES,
    FACTORS,
    FIRST,
    INDUSTRIES,
    INTENTS,
    INTERVIEW_STATUS,
    KEY_ROLES,
    LAST,
    NAME_A,
    NAME_B,
    PRODUCTS,
    QUOTE_TAGS,
    QUOTES,
    ROLE_WEIGHTS,
    SEGMENTS,
    SENTIMENT_WEIGHTS,
    SOURCES,
    STATUS_WEIGHTS,
    SUFFIX,
    TIER_SIZE,
    TIER_WEIGHTS,
    TITLES,
    UNIT_WEIGHTS,
)

if TYPE_CHECKING:
    from .generate import Scale

SEED = 20261123
ADMIN_EMAIL = "bench-admin@example.com"



def _picker(rng: random.Random, weighted: Iterable[tuple[Any, float]]) -> Callable[[], Any]:
    """A fast weighted choice (bisect on cumulative weights)."""
    values, weights = zip(*weighted, strict=True)
    cum: list[float] = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    rnd = rng.random
    return lambda: values[bisect(cum, rnd() * total)]


def _distribute(rng: random.Random, total: int, weights: list[float],
                base: int = 0) -> list[int]:
    """Split `total` items over len(weights) owners: `base` each, the rest by weight."""
    n = len(weights)
    counts = [base] * n
    rest = total - base * n
    if rest < 0:
        raise ValueError("total smaller than the base allotment")
    if rest:
        for idx, c in Counter(rng.choices(range(n), weights=weights, k=rest)).items():
            counts[idx] += c
    return counts


def _money(rng: random.Random, median: float, sigma: float = 1.0) -> Decimal:
    return Decimal(f"{rng.lognormvariate(math.log(median), sigma):.2f}")


def _ts(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, dtime(8 + rng.randrange(10), rng.randrange(60)), tzinfo=UTC)


class Generator:
    """Builds one data set; `run(conn)` writes every table."""

    def __init__(self, scale: Scale, anchor: date, password_hash: str) -> None:
        self.s = scale
        self.anchor = anchor
        self.start = anchor - timedelta(days=730)
        self.rng = random.Random(f"{SEED}-{scale.name}-{scale.accounts}")
        self.password_hash = password_hash
        self.now = datetime.combine(anchor, dtime(6, 0), tzinfo=UTC)

    # -- users, accounts ---------------------------------------------------
    def users(self) -> Iterator[dict[str, Any]]:
        n_am = max(4, self.s.accounts // 25)
        spec = [("admin", ADMIN_EMAIL, "Bench Admin")]
        spec += [("leader", f"leader{i}@example.com", f"Leader {i}") for i in range(1, 4)]
        spec += [("analyst", f"analyst{i}@example.com", f"Analyst {i}") for i in range(1, 6)]
        spec += [("account_manager", f"am{i}@example.com", f"Account Manager {i}")
                 for i in range(1, n_am + 1)]
        self.am_ids: list[int] = []
        self.analyst_ids: list[int] = []
        for uid, (role, email, name) in enumerate(spec, start=1):
            if role == "account_manager":
                self.am_ids.append(uid)
            elif role == "analyst":
                self.analyst_ids.append(uid)
            yield {"id": uid, "email": email, "name": name, "password_hash": self.password_hash,
                   "role": role, "active": True, "last_login_at": None,
                   "created_at": self.now - timedelta(days=800)}

    def accounts(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        seg = _picker(rng, SEGMENTS)
        tier = _picker(rng, TIER_WEIGHTS)
        status = _picker(rng, STATUS_WEIGHTS)
        # A few account managers own many accounts (Pareto-ish).
        am_weights = [1.0 / (i + 1) ** 0.5 for i in range(len(self.am_ids))]
        self.acc: list[tuple[int, str, str, str, int]] = []  # id, segment, tier, status, owner
        self.slugs: dict[int, str] = {}
        for aid in range(1, self.s.accounts + 1):
            name = f"{rng.choice(NAME_A)} {rng.choice(NAME_B)} {rng.choice(SUFFIX)} {aid}"
            a_seg, a_tier, a_status = seg(), tier(), status()
            owner = rng.choices(self.am_ids, weights=am_weights)[0]
            revenue = _money(rng, {"strategic": 2_000_000, "key": 600_000,
                                   "standard": 120_000}[a_tier], 0.6)
            cost = (revenue * Decimal(f"{rng.uniform(0.15, 1.1):.3f}")).quantize(Decimal("0.01"))
            created = self.now - timedelta(days=rng.randrange(760, 1500))
            self.acc.append((aid, a_seg, a_tier, a_status, owner))
            self.slugs[aid] = slugify(name)
            yield {"id": aid, "name": name, "slug": self.slugs[aid], "segment": a_seg,
                   "industry": rng.choice(INDUSTRIES), "tier": a_tier, "status": a_status,
                   "owner_id": owner, "annual_revenue": revenue, "cost_to_serve": cost,
                   "renewal_date": self.anchor + timedelta(days=rng.randrange(-30, 540)),
                   "external_id": f"ACC-{aid:06d}", "version": 1, "created_at": created,
                   "updated_at": created}
        self.weights = [TIER_SIZE[a[2]] for a in self.acc]

    def members(self) -> Iterator[dict[str, Any]]:
        for aid, _seg, _tier, _status, owner in self.acc:
            if self.rng.random() < 0.3:
                other = self.rng.choice(self.am_ids)
                if other != owner:
                    yield {"account_id": aid, "user_id": other}

    # -- stakeholders --------------------------------------------------------
    def stakeholders(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        role = _picker(rng, ROLE_WEIGHTS)
        sentiment = _picker(rng, SENTIMENT_WEIGHTS)
        base = min(2, self.s.stakeholders // max(1, self.s.accounts))
        counts = _distribute(rng, self.s.stakeholders, self.weights, base=base)
        self.sh_by_acc: dict[int, list[int]] = {}
        self.key_by_acc: dict[int, list[int]] = {}
        self.reachable_key: set[int] = set()
        sid = 0
        for (aid, *_rest), n in zip(self.acc, counts, strict=True):
            ids: list[int] = []
            n_key = min(n, rng.choice((2, 3, 3, 4)))
            for k in range(n):
                sid += 1
                r = KEY_ROLES[k] if k < n_key else role()
                first, last = rng.choice(FIRST), rng.choice(LAST)
                opted = rng.random() < 0.03
                left = rng.random() < 0.04
                # An org chart: everyone reports to someone nearer the top of the list.
                reports_to = None if k == 0 else ids[rng.randrange(min(len(ids), k // 2 + 1))]
                ids.append(sid)
                if k < n_key and not opted and not left:
                    self.reachable_key.add(sid)
                yield {
                    "id": sid, "account_id": aid, "name": f"{first} {last}",
                    "title": rng.choice(TITLES[r]),
                    "email": f"{first}.{last}.{sid}@customer{aid}.example".lower(),
                    "phone": f"+1 555 {sid % 10000:04d}", "buying_role": r,
                    "influence": min(5, max(1, (5 if k < n_key else 2) + rng.randint(-1, 1))),
                    "sentiment": sentiment(), "is_key": k < n_key, "reports_to_id": reports_to,
                    "preferences": "Prefers morning calls." if rng.random() < 0.2 else None,
                    "notes": None, "preferred_channel": rng.choice(("email", "phone", "video")),
                    "opted_out_at": self.now - timedelta(days=rng.randrange(400)) if opted
                    else None,
                    "left_company_at": self.now - timedelta(days=rng.randrange(400)) if left
                    else None,
                    "last_contacted_on": None if rng.random() < 0.1
                    else self.anchor - timedelta(days=rng.randrange(200)),
                    "external_id": f"STK-{sid:07d}", "erased_at": None, "version": 1,
                    "created_at": self.now - timedelta(days=760),
                    "updated_at": self.now - timedelta(days=rng.randrange(700)),
                }
            self.sh_by_acc[aid] = ids
            self.key_by_acc[aid] = ids[:n_key]

    # -- value ---------------------------------------------------------------
    def commitments(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        counts = _distribute(rng, self.s.commitments, self.weights)
        self.delivered_commitments: dict[int, list[int]] = defaultdict(list)
        cid = 0
        span = (self.anchor + timedelta(days=180) - (self.start + timedelta(days=90))).days
        for (aid, _seg, _tier, _status, owner), n in zip(self.acc, counts, strict=True):
            for _ in range(n):
                cid += 1
                due = self.start + timedelta(days=90 + rng.randrange(span))
                delivered_on = None
                if due > self.anchor:
                    status = "planned" if rng.random() < 0.6 else "in_progress"
                else:
                    x = rng.random()
                    status = "delivered" if x < 0.75 else "missed" if x < 0.9 else "dropped"
                    if status == "delivered":
                        delivered_on = min(self.anchor, due + timedelta(days=rng.randint(-30, 20)))
                        self.delivered_commitments[aid].append(cid)
                driver = rng.choice(DRIVERS)
                created = _ts(due - timedelta(days=rng.randrange(60, 200)), rng)
                yield {"id": cid, "account_id": aid, "title": rng.choice(COMMITMENT_TITLES),
                       "description": None, "driver": driver,
                       "expected_amount": _money(rng, 20_000), "unit": "currency",
                       "due_on": due, "status": status, "delivered_on": delivered_on,
                       "created_by_id": owner, "created_at": created, "updated_at": created}

    def value_entries(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        rnd = rng.random
        unit = _picker(rng, UNIT_WEIGHTS)
        # Driver pickers per segment and half-year bucket: the mix drifts over time.
        pickers: dict[tuple[str, int], Callable[[], str]] = {}
        for seg_name, (mix, drift) in DRIVER_MIX.items():
            for b in range(4):
                w = [max(1.0, m + d * b / 3) for m, d in zip(mix, drift, strict=True)]
                pickers[seg_name, b] = _picker(rng, zip(DRIVERS, w, strict=True))
        counts = _distribute(rng, self.s.value_entries, self.weights)
        span = (self.anchor - self.start).days + 1
        self.beneficiaries: list[tuple[int, int]] = []
        self.confirmations: list[tuple[int, int | None, str, date]] = []
        log, exp, lognorm = math.log, math.exp, rng.lognormvariate
        # Entries are logged as value is delivered, so ids follow time and an account's
        # entries are spread through the table (as in a real installation), not clustered.
        plan = sorted(
            (int(rnd() * span), aid)
            for (aid, *_rest), n in zip(self.acc, counts, strict=True) for _ in range(n)
        )
        info = {a[0]: (a[1], a[4]) for a in self.acc}
        to_link = {aid: list(ids) for aid, ids in self.delivered_commitments.items()}
        for eid, (offset, aid) in enumerate(plan, start=1):
            seg, owner = info[aid]
            people = self.sh_by_acc.get(aid) or [None]
            keys = self.key_by_acc.get(aid) or people
            links = to_link.get(aid)
            delivered = self.start + timedelta(days=offset)
            age = 1 - offset / span  # 1 = two years old
            driver = pickers[seg, min(3, offset * 4 // span)]()
            u = unit()
            if u == "currency":
                amount = Decimal(f"{lognorm(log(12_000), 1.1):.2f}")
            elif u == "hours":
                amount = Decimal(int(exp(rnd() * 6)) + 4)
            elif u == "count":
                amount = Decimal(int(exp(rnd() * 5)) + 1)
            else:
                amount = Decimal(rng.randint(1, 40))
            x = rnd()
            evidence = ("disputed" if x < 0.06 else
                        "confirmed" if x < 0.06 + 0.2 + 0.35 * age else "claimed")
            created = _ts(delivered, rng)
            titles = ENTRY_TITLES[driver]
            yield {"id": eid, "account_id": aid, "title": titles[eid % len(titles)],
                   "description": "Measured against the baseline agreed at kickoff."
                   if rnd() < 0.3 else None,
                   "driver": driver, "amount": amount, "unit": u, "delivered_on": delivered,
                   "evidence_status": evidence,
                   "source": SOURCES[eid % len(SOURCES)] if rnd() < 0.7 else None,
                   "commitment_id": links.pop() if links and rnd() < 0.5 else None,
                   "created_by_id": owner, "created_at": created, "updated_at": created}
            if rnd() < 0.3 and people[0] is not None:
                self.beneficiaries.append((eid, people[int(rnd() * len(people))]))
            if (evidence == "confirmed" and rnd() < 0.25
                    or evidence == "disputed" and rnd() < 0.5):
                who = keys[int(rnd() * len(keys))]
                self.confirmations.append((eid, who, evidence, delivered))
        # Confirmations arrive after delivery: ids in answer order too.
        self.confirmations.sort(key=lambda c: (c[3], c[0]))

    def beneficiary_rows(self) -> Iterator[dict[str, Any]]:
        for eid, sid in self.beneficiaries:
            yield {"entry_id": eid, "stakeholder_id": sid}

    def confirmation_rows(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for cid, (eid, sid, evidence, delivered) in enumerate(self.confirmations, start=1):
            when = min(self.now, _ts(delivered + timedelta(days=rng.randrange(3, 40)), rng))
            adjusted = evidence == "disputed" and rng.random() < 0.4
            yield {"id": cid, "entry_id": eid, "stakeholder_id": sid,
                   "response": "adjusted" if adjusted else evidence,
                   "adjusted_amount": Decimal("1000.00") if adjusted else None,
                   "comment": rng.choice(QUOTES), "method": rng.choice(("link", "recorded")),
                   "link_id": None, "recorded_by_id": None, "responded_at": when}

    def pulses(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        key_people = [(aid, sid) for aid, ids in self.key_by_acc.items() for sid in ids]
        others = [(aid, sid) for aid, ids in self.sh_by_acc.items()
                  for sid in ids[len(self.key_by_acc[aid]):]]
        span = (self.anchor - self.start).days
        answered = []
        for _ in range(self.s.pulses):
            pool = key_people if rng.random() < 0.8 or not others else others
            answered.append((rng.randrange(span), *pool[int(rng.random() * len(pool))]))
        answered.sort()  # ids follow the answer dates
        for pid, (offset, aid, sid) in enumerate(answered, start=1):
            sat = min(5, max(1, round(rng.gauss(3.8, 0.9))))
            intent = INTENTS[min(4, max(0, 5 - sat + rng.randint(-1, 1)))]
            recommend = min(10, max(0, round(sat * 2 + rng.gauss(0, 1.5))))
            emotion = rng.random() < 0.3
            ranking = rng.sample(DRIVERS, 3)
            day = self.start + timedelta(days=offset)
            yield {"id": pid, "stakeholder_id": sid, "account_id": aid, "taken_on": day,
                   "satisfaction": sat, "repurchase_intent": intent, "recommend": recommend,
                   "positive_emotion": emotion,
                   "emotion_text": "They fixed our outage on a Sunday." if emotion else None,
                   "driver_ranking": ranking,
                   "comment": "Good quarter overall." if rng.random() < 0.2 else None,
                   "method": "link", "link_id": None, "recorded_by_id": None,
                   "created_at": _ts(day, rng)}

    # -- win/loss ------------------------------------------------------------
    def competitors(self) -> Iterator[dict[str, Any]]:
        for cid, (name, aliases, _strength) in enumerate(COMPETITORS, start=1):
            yield {"id": cid, "name": name, "aliases": aliases}

    def factors(self) -> Iterator[dict[str, Any]]:
        for fid, (category, name) in enumerate(FACTORS, start=1):
            yield {"id": fid, "category": category, "name": name, "position": fid, "active": True}

    def guides(self) -> Iterator[dict[str, Any]]:
        for gid, outcome in enumerate(("won", "lost", "any"), start=1):
            yield {"id": gid, "name": f"{outcome.capitalize()} deal interview",
                   "outcome": outcome, "active": True}

    def questions(self) -> Iterator[dict[str, Any]]:
        qid = 0
        for gid in (1, 2, 3):
            for pos, (text, kind, factor) in enumerate((
                ("What problem were you solving?", "text", None),
                ("How did our price compare?", "rating", 1),
                ("How well did the product fit?", "rating", 4),
                ("What decided it in the end?", "text", None),
            ), start=1):
                qid += 1
                yield {"id": qid, "guide_id": gid, "position": pos, "text": text, "kind": kind,
                       "choices": None, "factor_id": factor}

    def rules(self) -> Iterator[dict[str, Any]]:
        yield {"id": 1, "name": "All lost deals over 50k", "outcome": "lost",
               "min_amount": Decimal("50000"), "competitor_id": None, "segment": None,
               "active": True}
        yield {"id": 2, "name": "Enterprise wins", "outcome": "won", "min_amount": None,
               "competitor_id": None, "segment": "Enterprise", "active": True}

    def deals(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        counts = _distribute(rng, self.s.deals, self.weights)
        span = (self.anchor - self.start).days
        self.deal_competitors: list[tuple[int, int]] = []
        self.closed: list[tuple[int, int, str, date]] = []  # deal, account, outcome, closed
        n_comp = len(COMPETITORS)
        # Deals enter the CRM as they open: ids follow the opening date.
        planned = []
        for (aid, _seg, _tier, _status, owner), n in zip(self.acc, counts, strict=True):
            for _ in range(n):
                if rng.random() < 0.2:
                    closed = None
                    opened = self.anchor - timedelta(days=rng.randrange(1, 180))
                else:
                    closed = self.start + timedelta(days=rng.randrange(span))
                    opened = closed - timedelta(days=rng.randrange(20, 200))
                planned.append((opened, aid, owner, closed))
        planned.sort(key=lambda p: (p[0], p[1]))
        for did, (opened, aid, owner, closed) in enumerate(planned, start=1):
            product = PRODUCTS[int(rng.random() * len(PRODUCTS))]
            comp = int(rng.random() * n_comp) + 1 if rng.random() < 0.75 else None
            if closed is None:
                outcome = "open"
            else:
                p_win = COMPETITORS[comp - 1][2] if comp else 0.6
                x = rng.random()
                outcome = "won" if x < p_win * 0.85 else "no_decision" if x > 0.85 else "lost"
                self.closed.append((did, aid, outcome, closed))
            if comp:
                self.deal_competitors.append((did, comp))
                for other in rng.sample(range(1, n_comp + 1), rng.randrange(3)):
                    if other != comp:
                        self.deal_competitors.append((did, other))
            created = _ts(opened, rng)
            yield {"id": did, "account_id": aid, "name": f"{product} for account {aid}",
                   "external_id": f"CRM-{did:07d}", "amount": _money(rng, 40_000, 0.9),
                   "product": product, "owner_id": owner, "opened_on": opened,
                   "closed_on": closed, "outcome": outcome, "primary_competitor_id": comp,
                   "rep_reason_id": rng.randrange(1, len(FACTORS) + 1)
                   if closed and rng.random() < 0.7 else None,
                   "rep_notes": "Lost on price in the final round." if outcome == "lost"
                   and rng.random() < 0.2 else None,
                   "version": 1, "created_at": created, "updated_at": created}

    def deal_competitor_rows(self) -> Iterator[dict[str, Any]]:
        for did, cid in dict.fromkeys(self.deal_competitors):
            yield {"deal_id": did, "competitor_id": cid}

    def interviews(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        status = _picker(rng, INTERVIEW_STATUS)
        anonymity = _picker(rng, (("named", 60), ("anonymized", 30), ("blind", 10)))
        picked = rng.sample(self.closed, min(self.s.interviews, len(self.closed)))
        picked.sort(key=lambda c: (c[3], c[0]))  # requested after closing: ids follow time
        self.completed: list[tuple[int, str]] = []
        for iid, (did, aid, outcome, closed) in enumerate(picked, start=1):
            st = status()
            people = self.sh_by_acc.get(aid) or []
            sid = people[int(rng.random() * len(people))] if people and rng.random() < 0.7 \
                else None
            requested = min(self.now, _ts(closed + timedelta(days=rng.randrange(1, 10)), rng))
            completed = None
            if st == "completed":
                completed = min(self.now, requested + timedelta(days=rng.randrange(3, 35)))
                self.completed.append((iid, outcome))
            yield {"id": iid, "deal_id": did, "stakeholder_id": sid,
                   "contact_name": None if sid else f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                   "contact_title": None if sid else "Procurement lead",
                   "interviewer_id": rng.choice(self.analyst_ids),
                   "guide_id": {"won": 1, "lost": 2}.get(outcome, 3), "status": st,
                   "channel": rng.choice(("video", "phone", "survey")),
                   "anonymity": anonymity(), "requested_at": requested,
                   "scheduled_for": requested + timedelta(days=5)
                   if st in ("scheduled", "completed") else None,
                   "completed_at": completed,
                   "primary_reason_id": rng.randrange(1, len(FACTORS) + 1) if completed else None,
                   "notes": None, "rule_id": 1 if outcome == "lost" else None}

    def factor_ratings(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        rid = 0
        for iid, outcome in self.completed:
            for fid in rng.sample(range(1, len(FACTORS) + 1), 4):
                rid += 1
                shift = 0.8 if outcome == "won" else -0.6
                rating = min(5, max(1, round(rng.gauss(3.2 + shift, 1))))
                effect = ("win_driver" if rating >= 4 and outcome == "won" else
                          "loss_driver" if rating <= 2 and outcome != "won" else "neutral")
                yield {"id": rid, "interview_id": iid, "factor_id": fid, "rating": rating,
                       "importance": rng.randint(2, 5), "effect": effect}

    def quotes(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        qid = 0
        for iid, _outcome in self.completed:
            for _ in range(rng.randint(1, 2)):
                qid += 1
                yield {"id": qid, "interview_id": iid, "text": rng.choice(QUOTES),
                       "tags": ";".join(rng.sample(QUOTE_TAGS, 2)),
                       "factor_id": rng.randrange(1, len(FACTORS) + 1)}

    def answers(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        ans = 0
        for iid, outcome in self.completed:
            gid = {"won": 1, "lost": 2}.get(outcome, 3)
            for pos in range(1, 5):
                ans += 1
                rating = rng.randint(1, 5) if pos in (2, 3) else None
                yield {"id": ans, "interview_id": iid, "question_id": (gid - 1) * 4 + pos,
                       "text": None if rating else rng.choice(QUOTES), "rating": rating,
                       "choice": None}

    # -- summaries (coverage) --------------------------------------------------
    def summaries(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        current = quarter_of(self.anchor)
        quarters = [(current.previous().previous(), 0.85), (current.previous(), 0.92),
                    (current, 0.4)]
        self.distributions: list[tuple[int, int, str, datetime]] = []
        slugs = self.slugs
        sid_ = 0
        for q, share in quarters:
            generated = datetime.combine(min(self.anchor, q.end + timedelta(days=10)),
                                         dtime(9), tzinfo=UTC)
            for aid, _seg, _tier, status, _owner in self.acc:
                if status != "active":
                    continue
                for st in self.key_by_acc[aid]:
                    if rng.random() >= share:
                        continue
                    sid_ += 1
                    yield {"id": sid_, "account_id": aid, "stakeholder_id": st,
                           "quarter": q.label, "variant": "stakeholder",
                           "file_path": f"{q.label}/{slugs[aid]}/stakeholder-{st}.pdf",
                           "sha256": hashlib.sha256(str(sid_).encode()).hexdigest(),
                           "generated_at": generated, "generated_by_id": 1, "job_id": None}
                    self.distributions.append((sid_, st, q.label, generated))

    def distribution_rows(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for did, (summary_id, st, _q, generated) in enumerate(self.distributions, start=1):
            reachable = st in self.reachable_key
            status = ("skipped" if not reachable else
                      "failed" if rng.random() < 0.04 else "sent")
            yield {"id": did, "summary_id": summary_id, "channel": "email",
                   "recipient": None if not reachable else f"stakeholder{st}@example.com",
                   "status": status, "sent_at": generated if status == "sent" else None,
                   "message_id": f"<{summary_id}@bench>" if status == "sent" else None,
                   "error": "SMTP 451 temporary failure" if status == "failed" else
                   ("opted out or left the company" if status == "skipped" else None),
                   "created_at": generated}

    # -- signals and tasks (My work) ------------------------------------------------
    def signals(self) -> Iterator[dict[str, Any]]:
        """Open and cleared signals on some active accounts (the kinds the plays answer),
        as a refresh would leave them: a few opened in the last week."""
        from valuetracker.tasks.plays import PLAY_LIST

        rng = self.rng
        kinds = sorted({play.kind for play in PLAY_LIST})
        severity = {"key_stakeholder_left": "high", "key_detractor": "high",
                    "value_disputed": "high", "commitment_overdue": "high",
                    "renewal_at_risk": "high", "nps_drop": "high"}
        self.open_signals: list[tuple[int, int, str]] = []  # signal id, account id, kind
        sid = 0
        for aid, _seg, _tier, status, _owner in self.acc:
            if status != "active" or rng.random() >= 0.4:
                continue
            for _ in range(rng.randint(1, 3)):
                sid += 1
                kind = rng.choice(kinds)
                since = self.anchor - timedelta(days=rng.randrange(60))
                opened = datetime.combine(since, dtime(6, 0), tzinfo=UTC)
                cleared = (opened + timedelta(days=rng.randint(1, 20))
                           if rng.random() < 0.3 else None)
                if cleared is not None and cleared >= self.now:
                    cleared = None
                if cleared is None:
                    self.open_signals.append((sid, aid, kind))
                yield {"id": sid, "account_id": aid, "kind": kind,
                       "severity": severity.get(kind, "medium"), "key": f"bench:{sid}",
                       "stakeholder_id": None, "subject_type": "account",
                       "subject_id": aid, "message": f"Bench signal {kind} at account {aid}.",
                       "since": since, "opened_at": opened, "cleared_at": cleared,
                       "details": None}

    def tasks(self) -> Iterator[dict[str, Any]]:
        """The plays' tasks of most open signals, and tasks the teams added by hand on
        half the accounts: open (some overdue), done and dismissed."""
        from valuetracker.tasks.plays import PLAY_LIST

        rng = self.rng
        play_of = {play.kind: play.key for play in PLAY_LIST}
        owner_of = {a[0]: a[4] for a in self.acc}
        tid = 0
        for signal_id, aid, kind in self.open_signals:
            if rng.random() < 0.8:
                tid += 1
                yield {"id": tid, "account_id": aid, "stakeholder_id": None,
                       "title": f"Play task for {kind}", "assignee_id": owner_of[aid],
                       "due_on": self.anchor + timedelta(days=rng.randint(-10, 30)),
                       "status": "open", "dismissed_reason": None, "source": "play",
                       "signal_id": signal_id, "play": play_of[kind],
                       "created_by_id": None, "created_at": self.now - timedelta(days=5),
                       "done_at": None, "version": 1}
        status = _picker(rng, (("open", 0.6), ("done", 0.3), ("dismissed", 0.1)))
        for aid, *_rest, owner in self.acc:
            if rng.random() >= 0.5:
                continue
            for _ in range(rng.randint(1, 4)):
                tid += 1
                st = status()
                yield {"id": tid, "account_id": aid, "stakeholder_id": None,
                       "title": f"Follow up with account {aid}", "assignee_id": owner,
                       "due_on": self.anchor + timedelta(days=rng.randint(-20, 40)),
                       "status": st,
                       "dismissed_reason": "Not needed" if st == "dismissed" else None,
                       "source": "person", "signal_id": None, "play": None,
                       "created_by_id": owner, "created_at": self.now - timedelta(days=30),
                       "done_at": self.now - timedelta(days=2) if st == "done" else None,
                       "version": 1}

    # -- run -------------------------------------------------------------------
    def steps(self) -> list[tuple[sa.Table, Callable[[], Iterable[dict[str, Any]]]]]:
        """(table, rows) in insert order; later tables use what earlier ones recorded."""
        t = lambda model: model.__table__  # noqa: E731
        steps: list[tuple[sa.Table, Callable[[], Iterable[dict[str, Any]]]]] = [
            (t(User), self.users), (t(Account), self.accounts),
            (t(AccountMember), self.members), (t(Stakeholder), self.stakeholders),
            (t(ValueCommitment), self.commitments), (t(ValueEntry), self.value_entries),
            (t(ValueEntryBeneficiary), self.beneficiary_rows),
            (t(ValueConfirmation), self.confirmation_rows), (t(LoyaltyPulse), self.pulses),
            (t(Competitor), self.competitors), (t(DecisionFactor), self.factors),
            (t(InterviewGuide), self.guides), (t(GuideQuestion), self.questions),
            (t(ProgramRule), self.rules), (t(Deal), self.deals),
            (t(DealCompetitor), self.deal_competitor_rows),
            (t(WinLossInterview), self.interviews), (t(FactorRating), self.factor_ratings),
            (t(InterviewQuote), self.quotes), (t(InterviewAnswer), self.answers),
            (t(ValueSummary), self.summaries), (t(Distribution), self.distribution_rows),
            (t(Signal), self.signals), (t(Task), self.tasks),
        ]
        return steps
