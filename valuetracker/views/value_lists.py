"""The value entries, commitments and loyalty pulses of every account the user may see
(`/value`, `/commitments`, `/pulses`): where the value figures open onto their rows
(docs/lists.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from ..accounts import segment_options
from ..db import get_session
from ..listing import YES_NO_CHOICES, Column, ListSpec, wants_csv
from ..models import COMMITMENT_STATUSES, DRIVERS, EVIDENCE_STATUSES, UNITS
from ..value import lists
from ..value.portfolio import NO_SEGMENT
from ._request import list_csv, list_state, page_arg

bp = Blueprint("value_lists", __name__)

ENTRY_CSV = (
    Column("Title", lambda r: r[0].title), Column("Account", lambda r: r[1]),
    Column("Driver", lambda r: r[0].driver), Column("Amount", lambda r: r[0].amount),
    Column("Unit", lambda r: r[0].unit), Column("Delivered", lambda r: r[0].delivered_on),
    Column("Evidence", lambda r: r[0].evidence_status), Column("Source", lambda r: r[0].source),
)
COMMITMENT_CSV = (
    Column("Title", lambda r: r[0].title), Column("Account", lambda r: r[1]),
    Column("Driver", lambda r: r[0].driver), Column("Expected", lambda r: r[0].expected_amount),
    Column("Unit", lambda r: r[0].unit), Column("Due", lambda r: r[0].due_on),
    Column("Status", lambda r: r[0].status), Column("Delivered", lambda r: r[0].delivered_on),
)

PULSE_CSV = (
    Column("Account", lambda r: r[1]), Column("Person", lambda r: r[3] or "(erased)"),
    Column("Taken on", lambda r: r[0].taken_on),
    Column("Satisfaction", lambda r: r[0].satisfaction),
    Column("Repurchase intent", lambda r: r[0].repurchase_intent),
    Column("Recommend", lambda r: r[0].recommend),
    # the drivers, most important first (the drift's average rank and first place)
    Column("Ranking", lambda r: ";".join(d for d in (r[0].driver_ranking or []) if d)),
)


@bp.route("/value")
@login_required
def entries() -> Any:
    """Value entries across the user's accounts: filtered, sorted, CSV."""
    session = get_session()
    segments = [*segment_options(session, current_user), NO_SEGMENT]
    state = list_state(lists.ENTRY_LIST, choices={
        "driver": DRIVERS, "unit": UNITS, "status": EVIDENCE_STATUSES, "segment": segments})
    filters = lists.EntryFilters(
        q=state.get("q", ""), account_id=state.get("account"), driver=state.get("driver"),
        unit=state.get("unit"), status=state.get("status"),
        delivered_from=state.get("delivered_from"), delivered_to=state.get("delivered_to"),
        segment=state.get("segment"), sort=state.sort)
    return _csv_or_page(lists.ENTRY_LIST, ENTRY_CSV, lists.all_value_entries,
                        lists.list_value_entries, filters, "value/entries.html", state,
                        drivers=DRIVERS, units=UNITS, statuses=EVIDENCE_STATUSES,
                        segments=segments)


@bp.route("/commitments")
@login_required
def commitments() -> Any:
    """Commitments across the user's accounts: filtered, sorted, CSV."""
    state = list_state(lists.COMMITMENT_LIST, choices={
        "driver": DRIVERS, "status": COMMITMENT_STATUSES})
    filters = lists.CommitmentFilters(
        q=state.get("q", ""), account_id=state.get("account"), status=state.get("status"),
        driver=state.get("driver"), due_from=state.get("due_from"), due_to=state.get("due_to"),
        due=state.get("due"), on_time=state.get("on_time"), overdue=state.get("overdue"),
        sort=state.sort)
    return _csv_or_page(lists.COMMITMENT_LIST, COMMITMENT_CSV, lists.all_commitments,
                        lists.list_commitments, filters, "value/commitments.html", state,
                        drivers=DRIVERS, statuses=COMMITMENT_STATUSES, yes_no=YES_NO_CHOICES)


@bp.route("/pulses")
@login_required
def pulses() -> Any:
    """Loyalty pulses across the user's accounts: filtered, sorted, CSV."""
    session = get_session()
    segments = [*segment_options(session, current_user), NO_SEGMENT]
    state = list_state(lists.PULSE_LIST, choices={"segment": segments})
    filters = lists.PulseFilters(
        account_id=state.get("account"), segment=state.get("segment"),
        taken_from=state.get("taken_from"), taken_to=state.get("taken_to"),
        ranked=state.get("ranked"), sort=state.sort)
    return _csv_or_page(lists.PULSE_LIST, PULSE_CSV, lists.all_pulses, lists.list_pulses,
                        filters, "value/pulse_list.html", state, segments=segments,
                        yes_no=YES_NO_CHOICES)


def _csv_or_page(spec: ListSpec, columns: Sequence[Column], all_rows: Callable[..., Any],
                 list_rows: Callable[..., Any], filters: Any, template: str, state: Any,
                 **context: Any) -> Any:
    """A value list answered as its CSV when asked for, else as its page of rows."""
    session = get_session()
    if wants_csv(request.args):
        return list_csv(spec, columns, all_rows(session, current_user, filters))
    page = list_rows(session, current_user, filters, page=page_arg(),
                     size=current_app.config["PAGE_SIZE"])
    return render_template(template, page=page, state=state, args=state.args, **context)
