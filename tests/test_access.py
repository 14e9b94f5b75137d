"""`access`: every role predicate for every role, as docs/roles.md tables them.

The routes are walked by test_permissions_all_routes.py; this checks the predicates
themselves, the `can` object templates read, and that a user without a role (anonymous,
or none outside a request) may do nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from valuetracker import access
from valuetracker.models import ROLES, Account, User

AM, ANALYST, LEADER, ADMIN = ROLES

# predicate -> the roles for which it answers True
ROLE_PREDICATES: dict[Callable[[Any], bool], set[str]] = {
    access.sees_all_accounts: {ANALYST, LEADER, ADMIN},
    access.may_edit_accounts: {AM, ADMIN},
    access.edits_every_account: {ADMIN},
    access.runs_winloss_program: {ANALYST, ADMIN},
    access.reads_winloss_program: {ANALYST, LEADER, ADMIN},
    access.may_edit_deals: {AM, ANALYST, ADMIN},
    access.may_send_summaries: {LEADER, ADMIN},
    access.may_export: {AM, LEADER, ADMIN},
    access.may_import: {AM, ANALYST, ADMIN},
    access.sees_all_jobs: {LEADER, ADMIN},
    access.may_administer: {ADMIN},
}

IMPORT_KINDS = {
    "accounts": {AM, ADMIN},
    "stakeholders": {AM, ADMIN},
    "value": {AM, ADMIN},
    "deals": {ANALYST, ADMIN},
}


def _user(role: str, user_id: int = 1) -> User:
    return User(id=user_id, email=f"{role}@example.com", name=role, role=role,
                password_hash="x")


def test_roles_are_the_four_of_the_model() -> None:
    assert set(ROLES) == {"account_manager", "analyst", "leader", "admin"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("predicate", list(ROLE_PREDICATES), ids=lambda p: p.__name__)
def test_role_predicate(predicate: Callable[[Any], bool], role: str) -> None:
    assert predicate(_user(role)) is (role in ROLE_PREDICATES[predicate])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", list(IMPORT_KINDS))
def test_may_import_a_kind(kind: str, role: str) -> None:
    assert access.may_import(_user(role), kind) is (role in IMPORT_KINDS[kind])
    assert access.may_import(_user(role), "nonsense") is False


@pytest.mark.parametrize("role", ROLES)
def test_role_may_administer(role: str) -> None:
    assert access.role_may_administer(role) is (role == ADMIN)


# (owns it, on its team) -> roles that may edit the account
EDIT_ACCOUNT = {
    (True, False): {AM, ADMIN},
    (False, True): {AM, ADMIN},
    (False, False): {ADMIN},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("owns", "member"), list(EDIT_ACCOUNT))
def test_may_edit_account(owns: bool, member: bool, role: str) -> None:
    user = _user(role)
    account = Account(name="Acme", slug="acme", owner_id=user.id if owns else 99)
    expected = role in EDIT_ACCOUNT[(owns, member)]
    assert access.may_edit_account(user, account, is_member=member) is expected
    # Sending one account's summaries: its editors, and the portfolio senders.
    assert access.may_send_account_summaries(user, account, is_member=member) is (
        expected or role in {LEADER, ADMIN})


@pytest.mark.parametrize("role", ROLES)
def test_may_manage_team(role: str) -> None:
    """Owners and admins choose the team; team members and reading roles do not; only
    admins choose one for a new account."""
    user = _user(role)
    owned = Account(name="Acme", slug="acme", owner_id=user.id)
    other = Account(name="Initech", slug="initech", owner_id=99)
    assert access.may_manage_team(user, owned) is (role in {AM, ADMIN})
    assert access.may_manage_team(user, other) is (role == ADMIN)
    assert access.may_manage_team(user, None) is (role == ADMIN)


# Permissions property -> the predicate it reads
TEMPLATE_RIGHTS = {
    "see_all_accounts": access.sees_all_accounts,
    "create_accounts": access.may_edit_accounts,
    "edit_deals": access.may_edit_deals,
    "run_program": access.runs_winloss_program,
    "read_program": access.reads_winloss_program,
    "send_summaries": access.may_send_summaries,
    "export": access.may_export,
    "import_files": access.may_import,
    "administer": access.may_administer,
}


@pytest.mark.parametrize("role", ROLES)
def test_permissions_object_answers_like_the_predicates(role: str) -> None:
    user = _user(role)
    can = access.Permissions(user)
    for name, predicate in TEMPLATE_RIGHTS.items():
        assert getattr(can, name) is predicate(user), name


def test_no_role_may_do_nothing() -> None:
    """The anonymous user (no role) and no user at all get False from every predicate."""
    for nobody in (None, object()):
        for predicate in ROLE_PREDICATES:
            assert predicate(nobody) is False, predicate.__name__
        assert access.may_import(nobody, "accounts") is False


def test_the_can_global_follows_the_signed_in_user(app: Any, cast: Any) -> None:
    from flask_login import login_user

    can = app.jinja_env.globals["can"]
    for user, exports in ((cast.am1, True), (cast.analyst, False), (cast.leader, True)):
        with app.test_request_context():
            login_user(user)
            assert can.export is exports
            assert can.read_program is (user is not cast.am1)
    with app.test_request_context():
        assert can.export is False  # nobody signed in
