"""Users, accounts and stakeholders (the caller commits). One counter keeps their default
names and e-mail addresses unique."""

from __future__ import annotations

import itertools
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from valuetracker.models import Account, AccountMember, Stakeholder, User, slugify
from valuetracker.security import hash_password

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # Hashing is deliberately slow; every test user shares one precomputed hash.
    return hash_password(PASSWORD)


def make_user(session: Session, role: str = "account_manager", **kw: Any) -> User:
    """A user in `role` whose password is PASSWORD."""
    n = next(_counter)
    user = User(
        email=kw.pop("email", f"{role}{n}@example.com"),
        name=kw.pop("name", f"{role.replace('_', ' ').title()} {n}"),
        role=role,
        password_hash=_password_hash(),
        **kw,
    )
    session.add(user)
    session.flush()
    return user


def make_account(session: Session, name: str | None = None, owner: User | None = None,
                 members: tuple[User, ...] = (), **kw: Any) -> Account:
    """A key Enterprise account (100 000 revenue, 20 000 cost to serve unless told) owned by
    `owner`, with `members` on its team."""
    n = next(_counter)
    name = name or f"Account {n}"
    kw.setdefault("segment", "Enterprise")
    kw.setdefault("tier", "key")
    kw.setdefault("annual_revenue", Decimal("100000"))
    kw.setdefault("cost_to_serve", Decimal("20000"))
    account = Account(name=name, slug=kw.pop("slug", slugify(name)),
                      owner_id=owner.id if owner else None, **kw)
    session.add(account)
    session.flush()
    for member in members:
        session.add(AccountMember(account_id=account.id, user_id=member.id))
    session.flush()
    return account


def make_stakeholder(session: Session, account: Account, name: str | None = None,
                     **kw: Any) -> Stakeholder:
    """A person at `account` with a unique e-mail address."""
    n = next(_counter)
    name = name or f"Person {n}"
    kw.setdefault("email", f"{slugify(name)}.{n}@customer.example")
    stakeholder = Stakeholder(account_id=account.id, name=name, **kw)
    session.add(stakeholder)
    session.flush()
    return stakeholder
