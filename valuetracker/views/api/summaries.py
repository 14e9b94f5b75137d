"""/api/v1/summaries: generated PDF value summaries, their sendings and the PDF itself;
starting the generate and send jobs the web's buttons and `summaries generate` start;
/api/v1/jobs/{id}: a job's progress, the job page's own JSON feed."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, jsonify, request, url_for
from flask_login import current_user
from sqlmodel import select

from ...access import (
    account_scope,
    get_account_for_summaries,
    get_account_summary,
    get_job_for_user,
    may_send_summaries,
    require,
)
from ...db import get_session
from ...models import Account, Distribution, Job, ValueSummary
from ...quarters import app_start_month, parse_quarter
from ...summaries.runs import enqueue_job, start_summaries_job
from ...summaries.scope import SEND_ACCOUNT_STATUS
from .._request import file_response, reports_file
from ..jobs import job_feed
from ..summaries import GenerateForm, SendForm
from . import _core as core
from ._core import Invalid, account_key, bp, fields, form_of, one
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
    query = core.in_account(select(ValueSummary, Account.slug)
                            .join(Account, Account.id == ValueSummary.account_id)
                            .where(account_scope(current_user, ValueSummary.account_id)),
                            ValueSummary.account_id)
    if request.args.get("quarter"):
        query = query.where(ValueSummary.quarter == request.args["quarter"][:7])
    return core.listed(query, ValueSummary.id, summary_items, since=ValueSummary.generated_at)


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


# --- starting the generate and send jobs ---------------------------------------------------


def _batch_accounts(body: dict[str, Any]) -> list[Account] | None:
    """The accounts of a batch: the body's `account` (an id or slug, or a list of them),
    each one the user may generate and send for (404/403 as on its summaries page), or
    None, the whole portfolio, for those who may send every account's (403)."""
    raw = body.get("account")
    if raw in (None, "", []):
        require(may_send_summaries(current_user))
        return None
    keys = raw if isinstance(raw, list) else [raw]
    if any(isinstance(k, (list, dict)) for k in keys):
        raise Invalid({"account": ["An account id or slug, or a list of them."]})
    found: dict[int, Account] = {}
    for key in keys:
        account = get_account_for_summaries(get_session(), current_user, account_key(key),
                                            write=True)
        found.setdefault(account.id, account)
    return list(found.values())


def _accepted(job: Job) -> Any:
    """202: the job is queued; its progress is at Location (and `status_url`)."""
    status_url = url_for("api.get_job", job_id=job.id, _external=True)
    response = jsonify({**job_feed(get_session(), job), "status_url": status_url})
    response.status_code = 202
    response.headers["Location"] = status_url
    return response


def _start(accounts: list[Account] | None, quarter_text: str, *, send: bool,
           regenerate: bool, variant: str, what: str) -> Any:
    """The web's `_start_job`: the same job and audit event, committed, then queued."""
    session = get_session()
    quarter = parse_quarter(quarter_text, app_start_month()).label
    if accounts is None:
        summary = f"{what} (portfolio)"
    else:
        summary = f"{what} of " + ", ".join(a.name for a in accounts)
    job = start_summaries_job(
        session, quarter=quarter, account_ids=None if accounts is None else
        [a.id for a in accounts], variant=variant, send=send, regenerate=regenerate,
        user=current_user, summary=summary)
    session.commit()
    enqueue_job(current_app._get_current_object(), job)  # type: ignore[attr-defined]
    session.refresh(job)  # an in-process queue may have run it already
    return _accepted(job)


@bp.post("/summaries/generate")
@doc("generate_summaries", write=True, accepted=True)
def generate_summaries() -> Any:
    """Generate a quarter's summaries (`quarter`; `variant`: stakeholder summaries or the
    internal account review; `send`: send each when generated) of one or more accounts
    (`account`: an id or slug, or a list), or of the whole portfolio (no `account`:
    those who may send every account's). Answers 202 with the job's status URL."""
    core.writing()
    body = core.json_body()
    accounts = _batch_accounts(body)

    def make(formdata: Any) -> GenerateForm:
        form = form_of(GenerateForm, formdata, variant="stakeholder")
        if accounts is not None and all(a.status != SEND_ACCOUNT_STATUS for a in accounts):
            # As the account's page offers it: nobody of it is sent a summary.
            form.variant.choices = [c for c in form.variant.choices if c.value == "internal"]
            form.variant.data = "internal" if formdata is None else form.variant.data
        return form

    form = core.bind_form(make, body)
    what = "Summaries" if form.variant.data == "stakeholder" else "Internal reviews"
    return _start(accounts, form.quarter.data, send=form.send.data, regenerate=True,
                  variant=form.variant.data, what=what)


@bp.post("/summaries/send")
@doc("send_summaries", write=True, accepted=True)
def send_summaries() -> Any:
    """Send a quarter's summaries (`quarter`) to everyone in the send who has not received
    theirs, generating any missing, never twice to anyone; of one or more accounts
    (`account`) or of the whole portfolio. Answers 202 with the job's status URL."""
    core.writing()
    body = core.json_body()
    accounts = _batch_accounts(body)
    form = core.bind_form(lambda fd: form_of(SendForm, fd), body)
    return _start(accounts, form.quarter.data, send=True, regenerate=False,
                  variant="stakeholder", what="Send summaries")


@bp.get("/jobs/<int:job_id>")
@doc("get_job")
def get_job(job_id: int) -> Any:
    """A job's progress (its creator's, or any job for leaders and admins)."""
    session = get_session()
    response = jsonify(job_feed(session, get_job_for_user(session, current_user, job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response
