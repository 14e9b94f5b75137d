"""Demo data of the core area: users of every role, accounts, teams and stakeholders.

Deterministic: a seeded random generator and dates relative to today, so every demo
installation looks the same on the same day (and stays "fresh" on any day).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from ..models import Account, AccountMember, Stakeholder, User, slugify, utcnow
from ..security import hash_password

DEMO_PASSWORD = "demo-password-2026"
SEED = 20261123

# key in made["users"], email, name, role, title (it signs the mail to customers)
DEMO_USERS = (
    ("admin", "admin@demo.example", "Ada Admin", "admin", None),
    ("leader", "leader@demo.example", "Lena Leader", "leader", "VP Customer Success"),
    ("analyst", "analyst@demo.example", "Arun Analyst", "analyst", None),
    ("am1", "maria@demo.example", "Maria Lopez", "account_manager", "Senior Account Manager"),
    ("am2", "tom@demo.example", "Tom Becker", "account_manager", "Account Manager"),
)

# The demo accounts: two text tables with a line per account (all eleven fields would not
# fit on one line), joined by name; "-" is none. Who they are: name, segment, industry,
# tier, status, external (CRM) id.
ACCOUNT_PROFILES = """
Northwind Logistics    | Enterprise    | Logistics          | strategic | active   | CRM-1001
Contoso Health         | Enterprise    | Healthcare         | strategic | active   | CRM-1002
Fabrikam Manufacturing | Enterprise    | Manufacturing      | key       | active   | CRM-1003
Tailspin Airlines      | Enterprise    | Aviation           | key       | active   | CRM-1004
Blue Yonder Retail     | Mid-market    | Retail             | key       | active   | CRM-1005
Woodgrove Bank         | Mid-market    | Financial services | strategic | active   | CRM-1006
Litware Software       | Mid-market    | Software           | standard  | active   | CRM-1007
Adventure Works Cycles | SMB           | Consumer goods     | standard  | active   | CRM-1008
Proseware Studio       | SMB           | Media              | standard  | prospect | CRM-1009
Trey Research          | SMB           | Life sciences      | standard  | churned  | CRM-1010
City of Riverton       | Public sector | Local government   | key       | active   | CRM-1011
State Health Agency    | Public sector | Government health  | strategic | active   | CRM-1012
"""
# Their book: name, annual revenue, cost to serve, owner and team member (keys of
# DEMO_USERS), renewal in days from today.
ACCOUNT_BOOKS = """
Northwind Logistics    | 2_400_000 | 610_000   | am1 | am2 | 48
Contoso Health         | 1_850_000 | 520_000   | am2 | -   | 130
Fabrikam Manufacturing | 1_150_000 | 1_290_000 | am1 | -   | 75
Tailspin Airlines      | 980_000   | 240_000   | am2 | am1 | 210
Blue Yonder Retail     | 640_000   | 150_000   | am1 | -   | 28
Woodgrove Bank         | 870_000   | 330_000   | am2 | -   | 160
Litware Software       | 310_000   | 95_000    | am1 | -   | 300
Adventure Works Cycles | 120_000   | 61_000    | am2 | -   | 95
Proseware Studio       | -         | -         | am1 | -   | -
Trey Research          | 85_000    | 70_000    | am2 | -   | -40
City of Riverton       | 520_000   | 210_000   | am1 | am2 | 240
State Health Agency    | 1_320_000 | 450_000   | am2 | -   | 58
"""


def _table(text: str) -> dict[str, list[str | None]]:
    """A `|`-separated text table as {first cell: the other cells}; a `-` cell is None."""
    rows: dict[str, list[str | None]] = {}
    for line in text.strip().splitlines():
        name, *cells = (cell.strip() for cell in line.split("|"))
        rows[name] = [None if cell == "-" else cell for cell in cells]
    return rows


def _number(cell: str | None) -> int | None:
    return int(cell) if cell is not None else None


def _demo_accounts() -> tuple[tuple[Any, ...], ...]:
    """(name, segment, industry, tier, status, revenue, cost to serve, owner key, member
    key, renewal in days, external id) of every demo account, in the profiles' order."""
    books = _table(ACCOUNT_BOOKS)
    accounts: list[tuple[Any, ...]] = []
    for name, (segment, industry, tier, status, external_id) in _table(ACCOUNT_PROFILES).items():
        revenue, cost, owner, member, renewal_days = books[name]
        accounts.append((name, segment, industry, tier, status, _number(revenue), _number(cost),
                         owner, member, _number(renewal_days), external_id))
    return tuple(accounts)


DEMO_ACCOUNTS = _demo_accounts()

FIRST = ("Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Sofia", "Mateo",
         "Grace", "Hiro", "Priya", "Jonas", "Amara", "Diego", "Leah", "Tariq", "Nina", "Omar",
         "Chloe", "Felix", "Hannah", "Kenji", "Isla", "Ravi", "Zoe", "Marco", "Elif", "Sam")
LAST = ("Nguyen", "Schmidt", "Okafor", "Rossi", "Kowalski", "Tanaka", "Dubois", "Haddad",
        "Silva", "Johansson", "Patel", "Murphy", "Fischer", "Moreau", "Costa", "Lindqvist",
        "Mensah", "Ito", "Novak", "Reyes")
PREFERENCES = (
    "Prefers morning calls; wants the numbers before any meeting.",
    "Likes short written updates by email, no slide decks.",
    "Values in-person quarterly reviews at their office.",
    "Wants to hear about risk reduction first, cost second.",
    "Responds fastest on chat; avoid Fridays.",
    "Prefers video calls with the agenda sent a day ahead.",
)
NOTES = (
    "Ask about their scuba diving trips.",
    "Runs marathons; training for Berlin.",
    "Two kids at university; loves jazz.",
    "Former customer of a competitor; remembers the migration pain.",
    "Coaches the local youth football team.",
    "",
)
# The buying committee every demo account gets (role, title, influence, key?, reports to
# index or None). Index 0 sits at the top.
COMMITTEE = (
    ("economic_buyer", "Chief Operating Officer", 5, True, None),
    ("decision_maker", "VP Operations", 4, True, 0),
    ("champion", "Director of Process Excellence", 4, True, 1),
    ("technical_evaluator", "Head of IT Architecture", 3, False, 1),
    ("influencer", "Finance Business Partner", 3, False, 0),
    ("user", "Operations Team Lead", 2, False, 2),
    ("blocker", "Procurement Manager", 3, False, 4),
    ("other", "Executive Assistant", 1, False, 0),
)
SENTIMENT_WEIGHTS = (("advocate", 2), ("supporter", 4), ("neutral", 3), ("skeptic", 2),
                     ("detractor", 1))


def seed(session: Session, made: dict[str, Any]) -> None:
    """Add demo users, accounts (with teams) and stakeholders; fills `made`.

    made["users"]: {"admin", "leader", "analyst", "am1", "am2"} -> User
    made["accounts"]: list of Account; made["stakeholders"]: list of Stakeholder;
    made["stakeholders_by_account"]: account id -> list of Stakeholder;
    made["today"]: the date the demo was built around; made["password"].
    """
    rng = random.Random(SEED)
    today = date.today()
    password_hash = hash_password(DEMO_PASSWORD)  # one slow hash shared by all demo users
    users = {}
    for key, email, name, role, title in DEMO_USERS:
        user = User(email=email, name=name, role=role, title=title,
                    password_hash=password_hash)
        session.add(user)
        users[key] = user
    session.flush()

    accounts: list[Account] = []
    teams: list[tuple[Account, str | None]] = []
    for (name, segment, industry, tier, status, revenue, cost, owner, member, renewal_days,
         external_id) in DEMO_ACCOUNTS:
        account = Account(
            name=name, slug=slugify(name), segment=segment, industry=industry, tier=tier,
            status=status, owner_id=users[owner].id,
            annual_revenue=Decimal(revenue) if revenue is not None else None,
            cost_to_serve=Decimal(cost) if cost is not None else None,
            renewal_date=today + timedelta(days=renewal_days) if renewal_days is not None
            else None,
            external_id=external_id,
        )
        session.add(account)
        accounts.append(account)
        teams.append((account, member))
    session.flush()
    for account, member in teams:
        if member:
            session.add(AccountMember(account_id=account.id, user_id=users[member].id))

    people: list[Stakeholder] = []
    by_account: dict[int, list[Stakeholder]] = {}
    names = iter(_unique_names(rng, 200))
    for index, account in enumerate(accounts):
        by_account[account.id] = _committee(session, rng, account, index, names, today)
        people.extend(by_account[account.id])
    session.flush()
    made.update(users=users, accounts=accounts, stakeholders=people,
                stakeholders_by_account=by_account, today=today, password=DEMO_PASSWORD)


def _unique_names(rng: random.Random, count: int) -> list[str]:
    pairs = [(f, last) for f in FIRST for last in LAST]
    rng.shuffle(pairs)
    return [f"{f} {last}" for f, last in pairs[:count]]


def _committee(session: Session, rng: random.Random, account: Account, index: int,
               names: Any, today: date) -> list[Stakeholder]:
    """One account's buying committee; smaller accounts get a smaller committee.

    A few accounts are deliberately thin (no economic buyer, departed key person, stale
    contacts) so the coverage warnings have something to show.
    """
    size = {"Enterprise": 8, "Public sector": 7, "Mid-market": 6, "SMB": 4}[account.segment]
    domain = slugify(account.name).split("-")[0] + ".example"
    members: list[Stakeholder] = []
    bosses: list[int | None] = []
    for position, (role, title, influence, key, boss) in enumerate(COMMITTEE[:size]):
        if index == 4 and role == "economic_buyer":
            role = "influencer"  # Blue Yonder: nobody owns the budget on record
        name = next(names)
        first, last = name.lower().split(" ")
        contacted = today - timedelta(days=rng.randint(3, 70 if key else 160))
        if index in (7, 9):
            contacted = today - timedelta(days=rng.randint(100, 200))  # gone quiet
        person = Stakeholder(
            account_id=account.id, name=name, title=title,
            email=f"{first}.{last}@{domain}",
            phone=f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            buying_role=role, influence=influence,
            sentiment=_weighted(rng, SENTIMENT_WEIGHTS), is_key=key,
            preferences=rng.choice(PREFERENCES), notes=rng.choice(NOTES) or None,
            preferred_channel=rng.choice(("email", "phone", "video", "in_person", "chat")),
            last_contacted_on=contacted,
            external_id=f"{account.external_id}-C{position + 1:02d}",
        )
        bosses.append(boss if boss is not None and boss < size else None)
        members.append(person)
    # Some departures and opt-outs, so the map shows them.
    if index in (0, 5):
        members[2].left_company_at = utcnow() - timedelta(days=20)  # a key champion left
    if index % 3 == 1 and len(members) > 5:
        members[5].opted_out_at = utcnow() - timedelta(days=60)
    if index == 2:
        members[1].last_contacted_on = today - timedelta(days=130)  # key person overdue
    for person in members:
        session.add(person)
    session.flush()
    for person, boss in zip(members, bosses, strict=True):
        if boss is not None:
            person.reports_to_id = members[boss].id
    return members


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    values = [v for v, _ in options]
    weights = [w for _, w in options]
    return rng.choices(values, weights)[0]
