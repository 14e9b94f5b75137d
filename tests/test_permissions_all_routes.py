"""Every route of the app, checked for scope and role: nothing can skip the check.

The tests walk `app.url_map` itself, so a route added later is covered automatically:
a route that takes arguments must appear in ROUTE_ARGS (which object fills which
argument, and whether the route is scoped to an account, refused by role, or public),
or `test_every_route_with_arguments_is_mapped` fails.

The world: the `cast` plus, on account1 (am1's), a value entry, a commitment, a pulse,
a confirmation link, a won deal with an interview, a guide with a question, a factor,
a program rule, a summary file and a job created by am1, and an upload of am1's in the
import wizard. am2 is the outsider: 404 on every scoped route (GET and POST), 403 on
role-level routes.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for

from valuetracker.models import metadata

from .route_world import (
    ACCOUNT_DATA_BLUEPRINTS,
    API,
    LEADER_POSTS,
    PUBLIC,
    ROLE,
    ROUTE_ARGS,
    SCOPED,
    SCOPED_LISTS,
    STATIC,
    World,
    all_rules,
    route_guard,
    route_methods,
    route_url,
)


def test_every_route_with_arguments_is_mapped(app: Flask) -> None:
    """A new route with arguments must say here how it is guarded and filled."""
    unknown, wrong = [], []
    for rule in all_rules(app):
        if not rule.arguments:
            continue
        if rule.endpoint not in ROUTE_ARGS:
            unknown.append(f"{rule.endpoint} ({rule.rule})")
        elif set(ROUTE_ARGS[rule.endpoint][1]) != set(rule.arguments):
            wrong.append(f"{rule.endpoint}: {sorted(rule.arguments)}")
    assert not unknown, "add these endpoints to ROUTE_ARGS: " + ", ".join(unknown)
    assert not wrong, "ROUTE_ARGS arguments differ from the rule: " + ", ".join(wrong)
    stale = set(ROUTE_ARGS) - {r.endpoint for r in app.url_map.iter_rules()}
    assert not stale, f"ROUTE_ARGS names endpoints that no longer exist: {sorted(stale)}"


def test_outsider_gets_404_or_403_everywhere(app: Flask, cast: Any, world: World,
                                             login_as: Any) -> None:
    """am2 on account1's rows: 404 on scoped routes, 403 on role-level ones, GET and POST."""
    client = login_as(cast.am2)
    failures, checked = [], 0
    for rule in all_rules(app):
        guard = route_guard(rule)
        if guard not in (SCOPED, ROLE):
            continue
        expected = 404 if guard == SCOPED else 403
        for method in route_methods(rule):
            code = client.open(route_url(app, rule, world), method=method, data={}).status_code
            checked += 1
            if code != expected:
                failures.append(f"{method} {rule.rule} ({rule.endpoint}): {code}, "
                                f"expected {expected}")
    assert checked > 50
    assert not failures, "\n".join(failures)


def test_account_managers_get_403_on_program_and_admin_pages(app: Flask, cast: Any,
                                                             world: World,
                                                             login_as: Any) -> None:
    """Even am1, whose account the deal is on, may not run the program or administer."""
    client = login_as(cast.am1)
    failures = []
    for rule in all_rules(app):
        if route_guard(rule) != ROLE:
            continue
        for method in route_methods(rule):
            code = client.open(route_url(app, rule, world), method=method, data={}).status_code
            if code != 403:
                failures.append(f"{method} {rule.rule}: {code}")
    assert not failures, "\n".join(failures)


def test_leader_gets_403_on_every_change(app: Flask, cast: Any, world: World,
                                         login_as: Any) -> None:
    """Leaders read everything and send summaries; every other POST is refused (403)."""
    client = login_as(cast.leader)
    failures, checked = [], 0
    for rule in all_rules(app):
        if "POST" not in (rule.methods or set()) or rule.endpoint in LEADER_POSTS \
                or route_guard(rule) in (PUBLIC, STATIC, API):
            continue
        code = client.post(route_url(app, rule, world), data={}).status_code
        checked += 1
        if code != 403:
            failures.append(f"POST {rule.rule} ({rule.endpoint}): {code}")
    assert checked > 30
    assert not failures, "\n".join(failures)


def test_leader_may_send_summaries(app: Flask, cast: Any, world: World,
                                   login_as: Any) -> None:
    client = login_as(cast.leader)
    for endpoint in ("summaries.generate", "summaries.send", "summaries.generate_portfolio",
                     "summaries.send_portfolio"):
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        # An empty form is refused by validation (a redirect back), not by role.
        assert client.post(route_url(app, rule, world), data={}).status_code == 302


def test_analyst_gets_403_on_account_stakeholder_and_value_changes(
        app: Flask, cast: Any, world: World, login_as: Any) -> None:
    client = login_as(cast.analyst)
    failures, checked = [], 0
    for rule in all_rules(app):
        if rule.endpoint.split(".")[0] not in ACCOUNT_DATA_BLUEPRINTS \
                or "POST" not in (rule.methods or set()):
            continue
        for method in route_methods(rule):
            code = client.open(route_url(app, rule, world), method=method, data={}).status_code
            checked += 1
            if code != 403:
                failures.append(f"{method} {rule.rule}: {code}")
    assert checked > 20
    assert not failures, "\n".join(failures)


def test_signed_link_pages_need_their_own_valid_token(app: Flask, cast: Any, world: World,
                                                      client: Any) -> None:
    """Public pages answer only to their own purpose's token; tampering is a 404."""
    pages = {"public.confirm": world.confirm_token, "public.pulse": world.pulse_token,
             "survey.answer": world.survey_token,
             "public.unsubscribe": world.unsubscribe_token,
             "notifications.unsubscribe_digest": world.digest_token}
    for endpoint, token in pages.items():
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        assert client.get(rule.build({"token": token})[1]).status_code == 200, endpoint
        tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        assert client.get(rule.build({"token": tampered})[1]).status_code == 404, endpoint
        others = [t for e, t in pages.items() if e != endpoint]
        for other in others:
            assert client.get(rule.build({"token": other})[1]).status_code == 404, endpoint


# --- no GET changes data -------------------------------------------------------------


def _counts(app: Flask) -> dict[str, int]:
    engine = app.extensions["valuetracker.engine"]
    with engine.connect() as conn:
        return {table.name: conn.execute(sa.select(sa.func.count()).select_from(table))
                .scalar_one() for table in metadata.sorted_tables}


def _snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table except the audit trail (reads may be audited)."""
    engine = app.extensions["valuetracker.engine"]
    with engine.connect() as conn:
        return {table.name: sorted(conn.execute(sa.select(table)).all(), key=repr)
                for table in metadata.sorted_tables if table.name != "audit_event"}


@pytest.mark.parametrize("role", ["admin", "am1"])
def test_no_get_changes_data(app: Flask, cast: Any, world: World, login_as: Any,
                             role: str) -> None:
    """GET every route (arguments filled) and compare every row of every table."""
    client = login_as(getattr(cast, role))
    before_counts, before = _counts(app), _snapshot(app)
    errors, visited = [], 0
    for rule in all_rules(app):
        if "GET" not in (rule.methods or set()) or rule.endpoint in ("static", "auth.login"):
            continue
        response = client.get(route_url(app, rule, world))
        visited += 1
        if response.status_code >= 500:
            errors.append(f"GET {rule.rule}: {response.status_code}")
    assert not errors, "\n".join(errors)
    assert visited > 40
    after_counts = _counts(app)
    changed = {t: (before_counts[t], after_counts[t]) for t in before_counts
               if t != "audit_event" and before_counts[t] != after_counts[t]}
    assert not changed, f"GETs changed row counts: {changed}"
    after = _snapshot(app)
    assert {t for t in before if before[t] != after[t]} == set()


def test_lists_across_accounts_hold_only_the_users_rows(app: Flask, cast: Any, world: World,
                                                        login_as: Any) -> None:
    """The lists figures open onto, filtered to account1 and downloaded whole: am1 gets
    account1's rows, the outsider am2 none (and the same list unfiltered neither)."""
    for endpoint in SCOPED_LISTS:
        with app.test_request_context():
            filtered = url_for(endpoint, account=world.account_id, format="csv")
            whole = url_for(endpoint, format="csv")
        for user, expected in ((cast.am1, True), (cast.am2, False)):
            client = login_as(user)
            for url in (filtered, whole) if not expected else (filtered,):
                response = client.get(url)
                assert response.status_code == 200, (endpoint, user.email)
                rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
                accounts = {r["Account"] for r in rows}
                if expected:
                    assert cast.account1.name in accounts, endpoint
                else:
                    assert cast.account1.name not in accounts, (endpoint, url)
