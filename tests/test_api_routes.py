"""Every /api/v1 route, walked from the URL map like the web's permission walk: a
session cookie alone is refused (401), and an outsider's token gets 404 on account1's
rows whatever the method."""

from __future__ import annotations

from typing import Any

from flask import Flask

from valuetracker import api_tokens

from .route_world import (
    API,
    API_ADMIN_ONLY,
    World,
    all_rules,
    route_guard,
    route_methods,
    route_url,
    world,
)

__all__ = ["world"]
OPEN = {"api.openapi", "api.reference"}


def _api_rules(app: Flask) -> list[Any]:
    return [r for r in all_rules(app) if route_guard(r) == API]


def test_a_session_alone_gets_401_on_every_api_route(app: Flask, cast: Any, world: World,
                                                     login_as: Any) -> None:
    client = login_as(cast.admin)
    failures, checked = [], 0
    for rule in _api_rules(app):
        if rule.endpoint in OPEN:
            continue
        for method in route_methods(rule):
            code = client.open(route_url(app, rule, world), method=method, json={}).status_code
            checked += 1
            if code != 401:
                failures.append(f"{method} {rule.rule}: {code}")
    assert checked >= 20
    assert not failures, "\n".join(failures)


def test_outsider_token_gets_404_on_every_row_route(app: Flask, cast: Any, world: World,
                                                    session: Any) -> None:
    """(403 on the admins' routes: webhook endpoints are nobody's account's.)"""
    _row, token = api_tokens.create_token(session, cast.am2, name="outsider", scope="write")
    session.commit()
    client = app.test_client()
    failures, checked = [], 0
    for rule in _api_rules(app):
        if not rule.arguments:
            continue
        for method in route_methods(rule):
            code = client.open(route_url(app, rule, world), method=method, json={},
                               headers={"Authorization": f"Bearer {token}"}).status_code
            checked += 1
            if code != (403 if rule.endpoint in API_ADMIN_ONLY else 404):
                failures.append(f"{method} {rule.rule}: {code}")
    assert checked >= 10
    assert not failures, "\n".join(failures)


def test_the_document_and_reference_need_no_token(client: Any) -> None:
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/").status_code == 200
