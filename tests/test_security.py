"""Cross-cutting security rules checked over every route the app registers."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import AnyConverter, IntegerConverter

from valuetracker import create_app

from .conftest import login


def _fill(rule: Any) -> str:
    """A URL for `rule` with placeholder values (ids that exist or not; CSRF comes first)."""
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg]
        if isinstance(converter, IntegerConverter):  # also the app's capped IdConverter
            values[arg] = 1
        elif isinstance(converter, AnyConverter):
            values[arg] = sorted(converter.items)[0]
        else:
            values[arg] = "x"
    return rule.build(values, append_unknown=False)[1]


# The only POSTs without a CSRF token: a mail client's one-click unsubscribe (RFC 8058),
# from a stakeholder's mail or from a user's digest, cannot have one; its signed token
# protects it (tests/test_unsubscribe.py, tests/test_digest_send.py).
CSRF_EXEMPT = {"public.unsubscribe_one_click", "notifications.unsubscribe_digest_one_click"}


def test_every_post_route_requires_csrf(app_config: dict[str, Any], cast: Any) -> None:
    from valuetracker.extensions import csrf

    app = create_app(dict(app_config, WTF_CSRF_ENABLED=True))
    exempt = {f"{view.__module__}.{view.__name__}" for view in app.view_functions.values()}
    assert {e for e in exempt if e in csrf._exempt_views} == {
        "valuetracker.views.public.unsubscribe_one_click",
        "valuetracker.views.notifications.unsubscribe_digest_one_click"}
    # The JSON API: bearer tokens only, a session cookie alone is refused (test_api.py).
    assert {bp.name for bp in csrf._exempt_blueprints} == {"api"}
    client = login(app.test_client(), cast.admin)
    post_rules = [r for r in app.url_map.iter_rules() if "POST" in (r.methods or set())]
    assert post_rules, "the app has POST routes"
    for rule in post_rules:
        if rule.endpoint in CSRF_EXEMPT:
            continue
        url = _fill(rule)
        if rule.endpoint.startswith("api."):
            assert client.post(url, data={"anything": "1"}).status_code == 401, rule.rule
            continue
        response = client.post(url, data={"anything": "1"})
        assert response.status_code == 400, f"{rule.rule} answered {response.status_code}"
    app.extensions["valuetracker.engine"].dispose()


def test_no_route_accepts_other_unsafe_methods(app: Any) -> None:
    """Web pages take GET and POST alone; the JSON API (bearer tokens) also PATCH and
    DELETE."""
    for rule in app.url_map.iter_rules():
        unsafe = {"PUT", "PATCH", "DELETE"} & set(rule.methods or ())
        if rule.endpoint.startswith("api."):
            assert "PUT" not in unsafe, rule.rule
        else:
            assert not unsafe, rule.rule


def test_anonymous_users_are_sent_to_login(app: Any, client: Any) -> None:
    """Every page except login, static files and signed public links needs a login."""
    public_prefixes = ("/login", "/static/", "/l/", "/s/")
    # The API's description and reference page are public; the rest of it answers 401.
    public = {"api.openapi", "api.reference",
              # the digest mail's unsubscribe link: its signed token is the key
              "notifications.unsubscribe_digest", "notifications.unsubscribe_digest_one_click"}
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.rule.startswith(public_prefixes) \
                or rule.endpoint in public:
            continue
        response = client.get(_fill(rule))
        assert response.status_code in (302, 401), f"{rule.rule} answered {response.status_code}"
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]


def test_unexpected_errors_show_no_stack_trace(app_config: dict[str, Any],
                                               caplog: Any) -> None:
    """A crash answers the app's 500 page: no traceback, no exception text; the log
    names the route pattern, not the path (a path may carry a signed link's token)."""
    app = create_app(dict(app_config, TESTING=False))

    def boom(token: str) -> str:
        raise RuntimeError("secret-internal-detail in /srv/valuetracker/db.py")

    app.add_url_rule("/boom-for-test/<token>", "boom_for_test", boom)
    response = app.test_client().get("/boom-for-test/SIGNED-TOKEN-VALUE")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "Traceback" not in body and "secret-internal-detail" not in body
    assert "/boom-for-test/<token>" in caplog.text  # logged, for the operators
    assert "SIGNED-TOKEN-VALUE" not in caplog.text
    app.extensions["valuetracker.engine"].dispose()
