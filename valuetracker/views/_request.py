"""What views read from a request and the answers they share: the route of an account's
page, query-string arguments (page, id, date, quarter), a bare button's CSRF check, the
edit-conflict answer, and file responses.

Query-string arguments never fail a request: a value that cannot be used is ignored
(ids, pages) or falls back with a note to the user (dates, quarters).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    render_template,
    request,
    send_file,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlmodel import Session

from .. import db
from ..access import get_account_for_user
from ..accounts import last_editor
from ..listing import CHOICE, Column, ListSpec, ListState, csv_filename, csv_rows, read_state
from ..quarters import Quarter, QuarterError, app_start_month, parse_quarter
from ..validation import DATE_MAX, DATE_MIN, DATE_RANGE_MESSAGE, FieldError

View = Callable[..., Any]

# --- the route of an account's page ---------------------------------------------------


def account_route(bp: Blueprint, rule: str, *, methods: Sequence[str] = ("GET",),
                  write: bool = False, lookup: Callable[..., Any] = get_account_for_user
                  ) -> Callable[[View], View]:
    """Register a view of one account's page (`<slug>` in the URL, or in the blueprint's
    prefix) for signed-in users, the access lookup done first: 404 outside the user's
    scope and, with `write`, 403 for those who may only read the account.

    The view is called with what `lookup(session, current_user, slug, **row_ids,
    write=write)` answers, in place of the URL's variables: the Account (the default,
    `access.get_account_for_user`), or each of a tuple, such as (account, row) for the
    lookup of one of its rows, whose parameters are named like the URL's other variables
    (`access.get_entry_for_user`: entry_id). The endpoint is the view's name.
    """

    def register(view: View) -> View:
        @functools.wraps(view)
        def scoped(slug: str, **row_ids: Any) -> Any:
            found = lookup(db.get_session(), current_user, slug, **row_ids, write=write)
            return view(*found) if isinstance(found, tuple) else view(found)

        registered = login_required(scoped)
        bp.add_url_rule(rule, view_func=registered, methods=list(methods))
        return registered

    return register


# --- query-string arguments -------------------------------------------------------------


def page_arg(name: str = "page") -> int:
    """The page number asked for, from 1; a missing or bad value is page 1.

    Capped so a huge ?page= cannot overflow the database's OFFSET; a page past the end
    shows the last page (`pagination.paginate`).
    """
    return min(max(1, request.args.get(name, 1, type=int) or 1), db.MAX_ID)


def id_arg(name: str) -> int | None:
    """An id filter (`?competitor=3`); None when absent, not a number or out of range."""
    return db.id_arg(request.args.get(name))


def date_arg(name: str) -> date | None:
    """A date filter (`?since=2026-07-01`); a bad value is ignored, with a warning."""
    value = request.args.get(name, "")
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        flash(f"'{value}' is not a date (use YYYY-MM-DD); ignored.", "warning")
        return None
    if day is not None and not DATE_MIN <= day <= DATE_MAX:
        flash(f"'{value}': {DATE_RANGE_MESSAGE} Ignored.", "warning")
        return None
    return day


def quarter_arg(default: Quarter | None = None, *, name: str = "quarter",
                errors: list[str] | None = None) -> Quarter | None:
    """`?quarter=2026-Q3` in the installation's fiscal year; `default` when absent or bad.

    Why a value was refused goes to `errors` when given (to show beside the filter
    field), else it is flashed as a warning.
    """
    text = request.args.get(name, "").strip()
    if not text:
        return default
    try:
        return parse_quarter(text, app_start_month())
    except QuarterError as exc:
        if errors is None:
            flash(str(exc), "warning")
        else:
            errors.append(str(exc))
        return default


# --- lists: sort, filters and the CSV download (listing.py) ----------------------------


def list_state(spec: ListSpec, form: Any = None,
               choices: Mapping[str, Iterable[str]] | None = None) -> ListState:
    """The list's sort and filters from the query string. A CHOICE filter accepts the
    values of the form's select of the same name (or those of `choices`); the form's
    fields are then set to what was accepted, so the page shows the filters in use."""
    allowed: dict[str, Iterable[str]] = dict(choices or {})
    if form is not None:
        for flt in spec.filters:
            if flt.kind == CHOICE and flt.name not in allowed and flt.name in form:
                allowed[flt.name] = [_choice_value(c) for c in getattr(form, flt.name).choices]
    state = read_state(spec, request.args, allowed)
    if form is not None:
        for flt in spec.filters:
            if flt.name in form:
                getattr(form, flt.name).data = state.args.get(flt.name, "")
    return state


def _choice_value(choice: Any) -> str:
    return str(choice[0] if isinstance(choice, tuple) else getattr(choice, "value", choice))


def list_csv(spec: ListSpec, columns: Sequence[Column], rows: Iterable[Any]) -> Response:
    """Every row of a list as a CSV download (the caller applied the same filters)."""
    return file_response(csv_rows(columns, rows), filename=csv_filename(spec),
                         mimetype="text/csv")


# --- bare POST buttons -------------------------------------------------------------------


def require_button() -> None:
    """A bare POST button (delete, withdraw, ...) carries only the `EmptyForm`'s CSRF
    token: without a valid one the request answers 400 and changes nothing."""
    from ..forms import EmptyForm

    if not EmptyForm().validate_on_submit():
        abort(400)


# --- the edit-conflict answer (optimistic locking) --------------------------------------


def _shown(form: FlaskForm, name: str, value: Any) -> Any:
    """A value as the form shows it: a select's label rather than its stored value."""
    field = getattr(form, name)
    if value is not None and getattr(field, "choices", None):
        for choice in field.choices:
            if getattr(choice, "value", None) == str(value):
                return choice.label
    return value


def edit_conflict(session: Session, form: FlaskForm, row: Any, mine: Mapping[str, Any], *,
                  entity: str) -> dict[str, Any]:
    """After a `StaleEditError`: who saved `row` meanwhile and how the saved values differ
    from the user's input `mine` (field name -> value), for the `edit_conflict` macro.

    Rolls back and reloads the row. The form keeps the input; its version moves to the
    saved one, so saving again is a deliberate choice to overwrite. The view answers 409.
    """
    session.rollback()
    session.refresh(row)
    differences = [
        (getattr(form, name).label.text, _shown(form, name, getattr(row, name)),
         _shown(form, name, value))
        for name, value in mine.items()
        if name in form and getattr(row, name) != value  # (fields the form derives: skipped)
    ]
    form.version.data = str(row.version)
    return {"who": last_editor(session, entity, row.id), "differences": differences}


def save_edit(session: Session, form: FlaskForm, row: Any, update: Callable[[], object], *,
              entity: str, mine: Callable[[], Mapping[str, Any]] | None = None
              ) -> tuple[bool, dict[str, Any] | None]:
    """The save step of an edit form: `update` calls the area's write function with
    `expected_version=form.version.data`. Answers (saved, conflict):

    - saved: the view commits, flashes and redirects;
    - a refusal of the write (`FieldError`): rolled back, shown on its field (or above
      the form), no conflict: the view shows the form again;
    - a `StaleEditError`: the `edit_conflict` answer for `row` and the user's input
      (`mine()`, by default the form's `data_dict()`), shown by `edit_page` with 409.
    """
    try:
        update()
    except FieldError as exc:
        session.rollback()
        show_field_error(form, exc)
        return False, None
    except db.StaleEditError:
        values = mine() if mine is not None else form.data_dict()  # type: ignore[attr-defined]
        return False, edit_conflict(session, form, row, values, entity=entity)
    return True, None


def show_field_error(form: FlaskForm, error: FieldError) -> None:
    """Show a write function's refusal on the field it names (above the form if none)."""
    field = getattr(form, error.field, None) if error.field else None
    (field.errors if field is not None else form.form_errors).append(error.message)


def edit_page(template: str, conflict: dict[str, Any] | None, **context: Any
              ) -> tuple[str, int]:
    """An edit form's page: 409 when it shows an edit conflict (nothing was saved)."""
    return render_template(template, conflict=conflict, **context), 409 if conflict else 200


# --- file responses ---------------------------------------------------------------------


def reports_file(path: str | Path) -> Path:
    """A file under REPORTS_DIR (`path` relative to it, or absolute inside it); 404 for
    anything else. Paths come from our own rows, but nothing outside is ever served."""
    root = Path(current_app.config["REPORTS_DIR"]).resolve()
    full = (root / path).resolve()
    if not full.is_relative_to(root) or not full.is_file():
        abort(404)
    return full


def file_response(content: bytes | str | Path, *, filename: str, mimetype: str,
                  inline: bool = False) -> Response:
    """A download (or, `inline`, a file shown in the browser) that is never cached: the
    files hold customer data. A Path is streamed from disk; bytes or text are sent whole."""
    if isinstance(content, Path):
        response = send_file(content, mimetype=mimetype, as_attachment=not inline,
                             download_name=filename)
    else:
        response = Response(content, mimetype=mimetype)
        disposition = "inline" if inline else "attachment"
        response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
