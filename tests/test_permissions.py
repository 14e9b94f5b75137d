"""Who may reach which account and stakeholder routes: table-driven, with the cast.

Every route that takes an id appears in ROUTES once per method. Each is tried by a user
who must not see the row (404: its existence is not revealed), by users whose role may
read but not change it (403), and by the people who may (neither). Copy this pattern
for other areas: list the routes, say whether each reads or writes, let the tests loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # formatted with cast=..., e.g. "/accounts/{cast.account1.slug}"
    writes: bool  # True: account managers on the account and admins only

    def url(self, cast: Any) -> str:
        return self.path.format(cast=cast)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


# Routes of rows belonging to account1 (owned by am1). am2 is the outsider.
ROUTES = (
    Route("GET", "/accounts/{cast.account1.slug}", writes=False),
    Route("GET", "/accounts/{cast.account1.slug}/edit", writes=True),
    Route("POST", "/accounts/{cast.account1.slug}/edit", writes=True),
    Route("POST", "/accounts/{cast.account1.slug}/archive", writes=True),
    Route("GET", "/accounts/{cast.account1.slug}/stakeholders/new", writes=True),
    Route("POST", "/accounts/{cast.account1.slug}/stakeholders/new", writes=True),
    Route("GET", "/stakeholders/{cast.stakeholder1.id}", writes=False),
    Route("GET", "/stakeholders/{cast.stakeholder1.id}/edit", writes=True),
    Route("POST", "/stakeholders/{cast.stakeholder1.id}/edit", writes=True),
    Route("POST", "/stakeholders/{cast.stakeholder1.id}/flags/key", writes=True),
    Route("POST", "/stakeholders/{cast.stakeholder1.id}/flags/opted_out", writes=True),
    Route("POST", "/stakeholders/{cast.stakeholder1.id}/flags/left", writes=True),
    Route("POST", "/stakeholders/{cast.stakeholder1.id}/export", writes=True),
    Route("GET", "/stakeholders/{cast.stakeholder1.id}/erase", writes=True),
    Route("POST", "/stakeholders/{cast.stakeholder1.id}/erase", writes=True),
)
# Routes refused by role alone (no row involved).
ROLE_ROUTES = (
    Route("GET", "/accounts/new", writes=True),
    Route("POST", "/accounts/new", writes=True),
)
READ_ONLY_ROLES = ("leader", "analyst")


def _call(client: Any, route: Route, cast: Any) -> int:
    # An empty form body: refusals must come before any validation or change.
    return client.open(route.url(cast), method=route.method, data={}).status_code


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_outsider_gets_404(route: Route, cast: Any, login_as: Any) -> None:
    assert _call(login_as(cast.am2), route, cast) == 404


@pytest.mark.parametrize("route", [r for r in ROUTES if r.writes], ids=str)
@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_read_only_roles_get_403_on_changes(route: Route, role: str, cast: Any,
                                            login_as: Any) -> None:
    assert _call(login_as(getattr(cast, role)), route, cast) == 403


@pytest.mark.parametrize("route", ROLE_ROUTES, ids=str)
@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_role_level_refusals(route: Route, role: str, cast: Any, login_as: Any) -> None:
    assert _call(login_as(getattr(cast, role)), route, cast) == 403


@pytest.mark.parametrize("route", [r for r in ROUTES if r.method == "GET"], ids=str)
@pytest.mark.parametrize("role", ("am1", "admin", "leader", "analyst"))
def test_allowed_users_reach_the_pages(route: Route, role: str, cast: Any,
                                       login_as: Any) -> None:
    code = _call(login_as(getattr(cast, role)), route, cast)
    if route.writes and role in READ_ONLY_ROLES:
        assert code == 403
    else:
        assert code == 200


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_missing_rows_are_404(route: Route, cast: Any, login_as: Any) -> None:
    path = route.path.replace("{cast.account1.slug}", "no-such-account").replace(
        "{cast.stakeholder1.id}", "999999")
    missing = Route(route.method, path, route.writes)
    assert _call(login_as(cast.admin), missing, cast) == 404


@pytest.mark.parametrize("route", ROUTES + ROLE_ROUTES, ids=str)
def test_anonymous_is_sent_to_login(route: Route, cast: Any, client: Any) -> None:
    response = client.open(route.url(cast), method=route.method, data={})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_team_member_may_edit(cast: Any, login_as: Any, session: Any) -> None:
    from valuetracker.models import AccountMember

    session.add(AccountMember(account_id=cast.account1.id, user_id=cast.am2.id))
    session.commit()
    client = login_as(cast.am2)
    for route in ROUTES:
        if route.method == "GET":
            assert _call(client, route, cast) == 200, route
