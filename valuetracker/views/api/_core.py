"""What every API view shares: the blueprint, bearer-token sign-in, problem answers
(RFC 9457), forms fed from JSON, ETags, and cursor pages.

The API is the web app's forms and write functions behind another door: a JSON body
is turned into the form data a browser would post (the form pre-filled from the row on
an update, then the given fields on top), the same WTForms form validates it, the same
`access.py` lookup scopes it and the same write function records the change.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, jsonify, request, url_for
from flask_wtf import FlaskForm
from sqlmodel import Session, select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from wtforms import BooleanField, Field, SelectFieldBase, SelectMultipleField

from ... import api_tokens
from ...db import MAX_ID, StaleEditError, get_session, id_arg
from ...extensions import csrf, limiter
from ...models import Account
from ...security import NUL_MESSAGE

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens only, never cookies: a cross-site page cannot make a browser send the
# Authorization header, so CSRF tokens are not needed (and a session cookie alone
# authenticates nothing here, see `authenticate`).
csrf.exempt(bp)

PROBLEM = "application/problem+json"
PAGE_SIZE = 50
PAGE_SIZE_MAX = 200
# Endpoints that answer without a token: the OpenAPI document and its reference page.
OPEN_ENDPOINTS = {"api.openapi", "api.reference"}
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 412: "Precondition failed", 413: "Too large",
          415: "Unsupported media type", 422: "Invalid fields", 429: "Too many requests",
          500: "Internal error"}
DETAILS = {401: "Send a valid API token: Authorization: Bearer <token>.",
           403: "Your role or this token's scope does not allow this.",
           404: "There is nothing here, or it is not yours to see.",
           412: "The item changed since you read it (If-Match no longer matches its ETag).",
           429: "Too many requests with this token. Wait a minute and try again."}


class Invalid(Exception):
    """422: the fields named, each with its messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__("invalid fields")
        self.errors = dict(errors)


def problem(status: int, detail: str | None = None, **extra: Any) -> Response:
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status,
            "detail": detail or DETAILS.get(status, TITLES.get(status, "Error")), **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="valuetracker"'
    return response


def http_problem(error: HTTPException) -> Response:
    code = error.code or 500
    given = error.description if error.description != type(error).description else None
    response = problem(code, given)
    for key in ("Retry-After", "Allow"):
        if error.get_response().headers.get(key):
            response.headers[key] = error.get_response().headers[key]
    return response


@bp.errorhandler(Invalid)
def invalid_fields(error: Invalid) -> Response:
    return problem(422, "Some fields are not valid: " + ", ".join(error.errors) + ".",
                   errors=[{"field": name, "pointer": f"#/{name}", "detail": " ".join(msgs)}
                           for name, msgs in error.errors.items()])


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def rate_limit_key() -> str:
    """The limiter key: the token's hash (one counter per token, the token itself never
    stored), else the client's address."""
    token = _bearer_token()
    if token:
        return "api-token:" + api_tokens.hash_token(token)
    from flask_limiter.util import get_remote_address

    return "api-address:" + get_remote_address()


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key,
              scope="api")(bp)


@bp.before_request
def authenticate() -> Response | None:
    """The token's user is the request's user (`current_user`) for this request alone:
    nothing is written to the session cookie, and the cookie is never read here."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    token = _bearer_token()
    session = get_session()
    found = api_tokens.authenticate(session, token) if token else None
    if found is None:
        return problem(401)
    g.api_token, g._login_user = found  # Flask-Login's current_user, without a cookie
    if session.dirty:
        session.commit()  # last use recorded, before (and whatever) the view does
    return None


def require_write() -> None:
    """403 for a read-scope token (the role's own rights are the access helpers')."""
    if not g.api_token.may_write:
        abort(403, "This token has read scope; create a write token to change data.")


# --- JSON in, form data out --------------------------------------------------------------


def json_body() -> dict[str, Any]:
    if not request.is_json:
        abort(415, "Send a JSON object (Content-Type: application/json).")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "The body must be a JSON object.")
    return body


def _field_value(field: Field) -> list[str]:
    """What a browser posts for a field of a form pre-filled from a row (or defaults)."""
    if isinstance(field, BooleanField):
        return ["y"] if field.data else []
    if isinstance(field, SelectMultipleField):
        return [str(v) for v in field.data or [] if v is not None]
    if isinstance(field, SelectFieldBase) and field.data in (None, ""):
        # A browser posts the blank choice of an optional select left alone; a select
        # without one must be given (the form says "Not a valid choice").
        first = next(iter(field.iter_choices()), None)
        return [""] if first is not None and first[0] == "" else []
    if hasattr(field, "_value"):
        text = field._value()
        return [] if text is None else [str(text)]
    return [] if field.data is None else [str(field.data)]


def _posted(value: Any, field: Field, name: str, errors: dict[str, list[str]]) -> list[str]:
    if value is None:
        return []
    if any("\x00" in str(v) for v in (value if isinstance(value, list) else [value])):
        # The rule the web applies to every form field (security.refuse_nul_bytes).
        errors[name] = [NUL_MESSAGE]
        return []
    if isinstance(field, SelectMultipleField):
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
            errors[name] = ["Give a list of values."]
            return []
        return [str(v) for v in value]
    if isinstance(field, BooleanField):
        if not isinstance(value, bool):
            errors[name] = ["Give true or false."]
            return []
        return ["y"] if value else []
    if isinstance(value, (dict, list)):
        errors[name] = ["Give a single value."]
        return []
    if isinstance(value, bool):
        return ["y" if value else ""]
    return [str(value)]


def form_of(form_class: type[FlaskForm], formdata: MultiDict | None, **kwargs: Any
            ) -> FlaskForm:
    """A web form for the API: no CSRF field (bearer tokens), explicit form data."""
    return form_class(formdata=formdata, meta={"csrf": False}, **kwargs)


def bind_form(make: Callable[[MultiDict | None], FlaskForm], body: Mapping[str, Any], *,
              rename: Mapping[str, str] | None = None,
              ignore: Iterable[str] = ("id", "version", "account")) -> FlaskForm:
    """A web form validated with the data a browser would post: the form as it renders
    (`make(None)`: pre-filled from the row, or its defaults), with the JSON body's fields
    on top (`make(formdata)`). `make` builds the form as the web view does (choices,
    pre-filled flags). `rename` maps JSON names to form field names. Unknown fields are
    refused. Raises `Invalid` with the form's own messages, under the JSON names."""
    rename = dict(rename or {})
    back = {form_name: json_name for json_name, form_name in rename.items()}
    shown = make(None)
    errors: dict[str, list[str]] = {}
    data = MultiDict()
    known = set()
    for field in shown:
        if field.name == "version":
            continue
        json_name = back.get(field.name, field.name)
        known.add(json_name)
        if json_name in body:
            values = _posted(body[json_name], field, json_name, errors)
        else:
            values = _field_value(field)
        for v in values:
            data.add(field.name, v)
    for name in body:
        if name not in known and name not in ignore:
            errors[name] = ["Unknown field."]
    form = make(data)
    if not form.validate() or errors:
        for name, messages in form.errors.items():
            flat = [m if isinstance(m, str) else str(m) for m in messages]
            errors.setdefault(back.get(name, name), []).extend(flat)
        raise Invalid(errors)
    return form


# --- ETags -------------------------------------------------------------------------------


def with_etag(response: Response, row: Any) -> Response:
    if getattr(row, "version", None) is not None:
        response.set_etag(str(row.version))
    return response


def expected_version(row: Any) -> int:
    """The version an update or delete expects: If-Match's (412 when stale), else the
    row's own (no If-Match: last write wins, as with a reloaded form)."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return row.version
    tags = [t.strip().removeprefix("W/").strip('"') for t in header.split(",")]
    if str(row.version) not in tags:
        abort(412)
    return row.version


# --- lists ---------------------------------------------------------------------------------


def _decode_cursor(text: str | None) -> int:
    if not text:
        return 0
    try:
        value = int(base64.urlsafe_b64decode(text.encode() + b"==").decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Invalid({"cursor": ["Not a cursor from a `next` link."]}) from None
    if value < 0 or value > MAX_ID:
        raise Invalid({"cursor": ["Not a cursor from a `next` link."]})
    return value


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def page_size() -> int:
    raw = request.args.get("limit", "")
    if not raw:
        return PAGE_SIZE
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= PAGE_SIZE_MAX:
        raise Invalid({"limit": [f"A number from 1 to {PAGE_SIZE_MAX}."]})
    return int(raw)


def updated_since() -> datetime | None:
    raw = request.args.get("updated_since", "")
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid({"updated_since": ["A date and time, e.g. 2026-12-01T00:00:00Z."]}) \
            from None
    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value


def cursor_page(session: Session, query: Any, id_column: Any) -> tuple[list[Any], str | None]:
    """One page of `query` in id order after the `cursor` argument: (rows, next URL).
    Sorting by the id alone keeps pages stable while rows change."""
    size = page_size()
    after = _decode_cursor(request.args.get("cursor"))
    rows = list(session.exec(query.where(id_column > after).order_by(id_column)
                             .limit(size + 1)).all())
    nxt = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        last_id = (last[0] if isinstance(last, tuple) or hasattr(last, "_mapping") else
                   last).id
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        nxt = url_for(request.endpoint, **args, cursor=_encode_cursor(last_id),
                      _external=True)
    return rows, nxt


def listing(items: list[dict[str, Any]], nxt: str | None) -> Response:
    return jsonify({"items": items, "next": nxt})


def listed(query: Any, id_column: Any, items: Callable[[list[Any]], list[dict[str, Any]]],
           *, since: Any = None) -> Response:
    """The tail of every list: `updated_since` on `since` (a column or expression; None:
    the list has no such filter), one cursor page in id order, the page's items."""
    value = updated_since() if since is not None else None
    if value is not None:
        query = query.where(since >= value)
    rows, nxt = cursor_page(get_session(), query, id_column)
    return listing(items(rows), nxt)


def with_slugs(item: Callable[[Any, str], dict[str, Any]]
               ) -> Callable[[list[Any]], list[dict[str, Any]]]:
    """The items of a page of rows with their account's slug (`(row, slug)`, as the
    scoped lists select them): `item(row, slug)` each."""
    return lambda rows: [item(row, slug) for row, slug in rows]


def in_account(query: Any, column: Any) -> Any:
    """`query` limited to the `account` argument's rows (an id or slug, scoped: 404)."""
    from flask_login import current_user

    account = account_arg(get_session(), current_user)
    return query if account is None else query.where(column == account.id)


def one_of(name: str, allowed: Iterable[str]) -> str | None:
    """A query argument that must be one of `allowed` (422 naming them), or None."""
    value = request.args.get(name)
    if not value:
        return None
    allowed = list(allowed)
    if value not in allowed:
        raise Invalid({name: ["One of " + ", ".join(allowed) + "."]})
    return value


def account_arg(session: Session, user: Any) -> Account | None:
    """The `account` filter (an id or a slug), scoped like every lookup (404)."""
    from ...access import get_account_for_user

    raw = request.args.get("account", "").strip()
    if not raw:
        return None
    return get_account_for_user(session, user, account_key(raw))


def account_key(raw: Any) -> int | str:
    """An account id (an int, or digits) or a slug; an id out of range is no account."""
    if isinstance(raw, bool):
        raise Invalid({"account": ["An account id or slug."]})
    if isinstance(raw, str) and "\x00" in raw:
        raise Invalid({"account": [NUL_MESSAGE]})
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        raw = id_arg(raw.strip()) or 0
    if isinstance(raw, int):
        if not 0 < raw <= MAX_ID:
            abort(404)
        return raw
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    raise Invalid({"account": ["An account id or slug."]})


def body_account(session: Session, user: Any, body: Mapping[str, Any], *,
                 write: bool = True) -> Account:
    """The account a created row belongs to, from the body's `account` (id or slug)."""
    from ...access import get_account_for_user

    if "account" not in body or body["account"] in (None, ""):
        raise Invalid({"account": ["This field is required."]})
    key = account_key(body["account"])
    return get_account_for_user(session, user, key, write=write)


@contextmanager
def stale_is_412() -> Iterator[None]:
    """A write function's StaleEditError (the row changed since its ETag) as 412."""
    try:
        yield
    except StaleEditError:
        abort(412)


def writing() -> Session:
    """The start of every write: a write token (403 otherwise), the request's session."""
    require_write()
    return get_session()


def updated(row: Any, make: Callable[[MultiDict | None], FlaskForm],
            write: Callable[[Any, int], Any], item: Callable[[], dict[str, Any]], *,
            body: Mapping[str, Any] | None = None,
            rename: Mapping[str, str] | None = None,
            commit: Callable[[], Any] | None = None) -> Response:
    """The PATCH every resource shares: If-Match against `row` (412), the JSON body (or
    `body`) through the web form `make` builds, `write(form, version)` (stale: 412), one
    commit (`commit`, if the resource answers its own conflicts), and the item read back
    with its ETag."""
    version = expected_version(row)
    form = bind_form(make, json_body() if body is None else body, rename=rename)
    with stale_is_412():
        write(form, version)
    _commit(commit)
    return one(item(), row)


def _commit(commit: Callable[[], Any] | None) -> None:
    if commit is None:
        get_session().commit()
    else:
        commit()


def new_in_account(make: Callable[[Account], Callable[[MultiDict | None], FlaskForm]]
                   ) -> tuple[Session, Account, FlaskForm]:
    """The start of every POST of a row in an account: a write token, the body's
    `account` (an id or slug the user may change: 404/403), the JSON body validated by
    the web form `make(account)` builds."""
    from flask_login import current_user

    session = writing()
    body = json_body()
    account = body_account(session, current_user, body)
    return session, account, bind_form(make(account), body)


def saved_new(row_of: Callable[[], Any], item: Callable[[Any], dict[str, Any]],
              endpoint: str, key: str, *, commit: Callable[[], Any] | None = None
              ) -> Response:
    """The POST every resource shares, after its form: the write (`row_of`), one
    commit (`commit`, as in `updated`), 201 with the item, its ETag and its Location
    (`endpoint`, the id as `key`)."""
    row = row_of()
    _commit(commit)
    return created(item(row), row, url_for(endpoint, **{key: row.id}, _external=True))


def deleted(row: Any, delete: Callable[[], Any]) -> Response:
    """The DELETE every resource shares: If-Match against `row` (412), the area's delete
    function (which records the audit event), one commit, 204."""
    expected_version(row)
    delete()
    get_session().commit()
    return Response(status=204)


def created(item: dict[str, Any], row: Any, location: str) -> Response:
    response = jsonify(item)
    response.status_code = 201
    response.headers["Location"] = location
    return with_etag(response, row)


def one(item: dict[str, Any], row: Any) -> Response:
    return with_etag(jsonify(item), row)


_AS_IS = (str, int, bool, float)


def plain(value: Any) -> Any:
    """A column value as JSON: Decimal as a string (exact), dates in ISO 8601."""
    if value is None or type(value) in _AS_IS:  # most values: a list's hot path
        return value
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def fields(row: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: plain(getattr(row, name)) for name in names}


def account_slugs(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return dict(session.exec(select(Account.id, Account.slug).where(Account.id.in_(wanted))).all())
