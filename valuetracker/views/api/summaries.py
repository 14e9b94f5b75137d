"""/api/v1/summaries: generated PDF value summaries, their sendings, and the PDF itself
(generating and sending stay jobs started on the web or the CLI)."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_login import current_user
from sqlmodel import select

from ...access import account_scope, get_account_for_summaries, get_account_summary
from ...db import get_session
from ...models import Account, Distribution, ValueSummary
from .._request import file_response, reports_file
from ._core import account_arg, bp, cursor_page, fields, listing, one, updated_since
from .spec import doc

SUMMARY_FIELDS = ("id", "account_id", "stakeholder_id", "quarter", "variant", "sha256",
                  "generated_at", "generated_by_id")
DISTRIBUTION_FIELDS = ("channel", "recipient", "status", "sent_at", "error")


def summary_items(rows: list[tuple[ValueSummary, str]]) -> list[dict[str, Any]]:
    ids = [s.id for s, _slug in rows]
    sent: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        for d in get_session().exec(select(Distribution).where(
                Distribution.summary_id.in_(ids)).order_by(Distribution.id)):
            sent[d.summary_id].append(fields(d, DISTRIBUTION_FIELDS))
    from flask import url_for

    return [{**fields(s, SUMMARY_FIELDS), "account": slug, "distributions": sent[s.id],
             "pdf": url_for("api.get_summary_pdf", summary_id=s.id, _external=True)}
            for s, slug in rows]


def _summary(summary_id: int) -> tuple[Account, ValueSummary]:
    session = get_session()
    row = session.get(ValueSummary, summary_id)
    if row is None:
        abort(404)
    account = get_account_for_summaries(session, current_user, row.account_id)
    return account, get_account_summary(session, account, summary_id)


@bp.get("/summaries")
@doc("list_summaries")
def list_summaries() -> Any:
    """List generated value summaries (`account`, `quarter`), with their sendings;
    `updated_since` is when generated."""
    session = get_session()
    account = account_arg(session, current_user)
    query = (select(ValueSummary, Account.slug)
             .join(Account, Account.id == ValueSummary.account_id)
             .where(account_scope(current_user, ValueSummary.account_id)))
    if account is not None:
        query = query.where(ValueSummary.account_id == account.id)
    if request.args.get("quarter"):
        query = query.where(ValueSummary.quarter == request.args["quarter"][:7])
    since = updated_since()
    if since is not None:
        query = query.where(ValueSummary.generated_at >= since)
    rows, nxt = cursor_page(session, query, ValueSummary.id)
    return listing(summary_items(rows), nxt)


@bp.get("/summaries/<int:summary_id>")
@doc("get_summary")
def get_summary(summary_id: int) -> Any:
    """Read one summary's metadata and sendings."""
    account, summary = _summary(summary_id)
    response = one(summary_items([(summary, account.slug)])[0], summary)
    response.set_etag(summary.sha256)
    return response


@bp.get("/summaries/<int:summary_id>/pdf")
@doc("get_summary_pdf")
def get_summary_pdf(summary_id: int) -> Any:
    """Download the summary's PDF."""
    _account, summary = _summary(summary_id)
    path = reports_file(summary.file_path)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        abort(404)
    return file_response(content, filename=path.name, mimetype="application/pdf")
