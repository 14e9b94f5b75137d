"""Views of the summaries area: coverage, an account's summaries, preview, generate, send
(one account, or every account in the send), download; resolve a sending of unknown
delivery, retry the failed sendings. Generation and sending run as background jobs (see
summaries/runs.py), for the quarter the page shows (its one quarter box)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.wrappers import Response
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlmodel import Session, select
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Optional, Regexp, ValidationError

from ..access import (
    account_scope,
    get_account_for_summaries,
    get_account_stakeholder,
    get_account_summary,
    may_edit_accounts,
    may_send_summaries,
    require,
    scope_key,
    summaries_access,
)
from ..cache import cached
from ..db import get_session
from ..forms import choices
from ..models import (
    SUMMARY_VARIANTS,
    Account,
    Distribution,
    Stakeholder,
    User,
    ValueSummary,
)
from ..quarters import Quarter, QuarterError, app_start_month, current_quarter, parse_quarter
from ..summaries.coverage import (
    COVERAGE_STATES,
    account_coverage,
    coverage_by_account_page,
    coverage_rows,
    coverage_rows_page,
    portfolio_coverage,
)
from ..summaries.generate import build_pdf
from ..summaries.render import RenderTimeout
from ..summaries.retry import create_failed_sendings_job
from ..summaries.runs import enqueue_job, start_summaries_job
from ..summaries.scope import SEND_ACCOUNT_STATUS, excluded_accounts_page, not_in_send_count
from ..summaries.send import CHANNEL, NotUnknown, mark_delivered, resend, unknown_sendings
from ..wording import counted
from ._request import account_route, file_response, id_arg, page_arg, quarter_arg, reports_file

bp = Blueprint("summaries", __name__)

ACCOUNTS_PER_PAGE = 25
ROWS_PER_PAGE = 50
EXCLUDED_PER_PAGE = 25


def default_quarter() -> Quarter:
    """The quarter a summaries page shows unless asked: the current one, as on the
    account page (`quarters.current_quarter`)."""
    return current_quarter(app_start_month())


def _quarter() -> Quarter:
    """The `?quarter=` of the request, or the default (a bad value falls back, with a note)."""
    default = default_quarter()
    return quarter_arg(default) or default


def _validate_quarter(_form: FlaskForm, field: StringField) -> None:
    try:
        parse_quarter(field.data or "", app_start_month())
    except QuarterError as exc:
        raise ValidationError(str(exc)) from None


class GenerateForm(FlaskForm):
    # Hidden: the page's one quarter box chooses the quarter (rendered without an id).
    quarter = HiddenField("Quarter", validators=[DataRequired(), _validate_quarter])
    variant = SelectField("Variant", choices=choices({"stakeholder": "Stakeholder summaries",
                                                     "internal": "Internal account review"}))
    send = BooleanField("Send each summary when generated")

    def validate_send(self, field: BooleanField) -> None:
        if field.data and self.variant.data == "internal":
            raise ValidationError("The internal account review is not sent to customers.")


class SendForm(FlaskForm):
    # Hidden: the button sends the quarter the page shows (rendered by hidden_tag()).
    quarter = HiddenField("Quarter", validators=[DataRequired(), _validate_quarter])


RESOLVE_ACTIONS = {"mark_delivered": "Mark delivered", "resend": "Resend"}


class ResolveForm(FlaskForm):
    """One button resolving a sending of unknown delivery (rendered by hidden_tag())."""

    action = HiddenField("Action", validators=[AnyOf(list(RESOLVE_ACTIONS))])
    # Where to go back to: the account's page (empty), the coverage page, or a job page.
    back = HiddenField("Back", validators=[Optional(), Regexp(r"^(coverage|job:\d+)$")])


def resolve_forms(back: str = "") -> dict[str, ResolveForm]:
    """The two resolve buttons' forms, by action, for a page to render."""
    return {action: ResolveForm(action=action, back=back, formdata=None)
            for action in RESOLVE_ACTIONS}


def _start_job(account_ids: list[int] | None, form: GenerateForm | SendForm, *, send: bool,
               regenerate: bool, variant: str, summary: str) -> Response:
    """Create, audit and commit the job (`account_ids` None: every account in the send),
    then enqueue it and show its progress."""
    session = get_session()
    quarter = parse_quarter(form.quarter.data, app_start_month()).label
    job = start_summaries_job(session, quarter=quarter, account_ids=account_ids,
                              variant=variant, send=send, regenerate=regenerate,
                              user=current_user, summary=summary)
    session.commit()
    enqueue_job(current_app._get_current_object(), job)  # type: ignore[attr-defined]
    left_out = not_in_send_count(job.result)
    note = f"; {counted(left_out, 'key stakeholder')} not in the send" if left_out else ""
    flash(f"{summary} {quarter}: {counted(job.total, 'item')} queued{note}.", "success")
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/summaries/coverage")
@login_required
def coverage() -> str:
    session = get_session()
    quarter = _quarter()
    scope = account_scope(current_user)
    below = request.args.get("below") == "1"
    state = request.args.get("state", "")
    state = state if state in COVERAGE_STATES else ""
    # The figure counts every key stakeholder in scope: kept until the data changes.
    total = cached(session, "coverage", (scope_key(current_user), quarter.label),
                   lambda: portfolio_coverage(session, quarter, scope))
    accounts = coverage_by_account_page(session, quarter, scope, total, below_full=below,
                                        number=page_arg(),
                                        size=ACCOUNTS_PER_PAGE)
    rows = coverage_rows_page(session, quarter, scope, total, state=state,
                              number=page_arg("rows_page"),
                              size=ROWS_PER_PAGE)
    # Links keep the quarter, both filters and the other table's page.
    args = {key: value for key, value in {
        "quarter": quarter.label, "below": "1" if below else "", "state": state,
        "page": accounts.number if accounts.number > 1 else "",
        "rows_page": rows.number if rows.number > 1 else "",
    }.items() if value}
    # Accounts whose status keeps their key stakeholders out of the send, named.
    excluded = excluded_accounts_page(session, scope, number=page_arg("excluded_page"),
                                      size=EXCLUDED_PER_PAGE)
    if excluded.number > 1:
        args["excluded_page"] = excluded.number
    sends = may_send_summaries(current_user)
    form = GenerateForm(quarter=quarter.label) if sends else None
    send_form = SendForm(quarter=quarter.label) if sends else None
    # Who sends summaries, or edits accounts (an account manager's scope is the accounts
    # they edit), may resolve the rows of unknown delivery they see.
    can_resolve = sends or may_edit_accounts(current_user)
    return render_template("summaries/coverage.html", quarter=quarter, total=total,
                           accounts=accounts, rows=rows, below=below, state=state,
                           states=COVERAGE_STATES, args=args, form=form,
                           send_form=send_form, excluded=excluded,
                           resolve=resolve_forms("coverage") if can_resolve else None)


@bp.route("/summaries/generate", methods=["POST"])
@login_required
def generate_portfolio() -> object:
    require(may_send_summaries(current_user))
    form = GenerateForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(url_for("summaries.coverage", quarter=form.quarter.data or None))
    return _start_job(None, form, send=form.send.data, regenerate=True,
                      variant=form.variant.data, summary="Portfolio summaries")


@bp.route("/summaries/send", methods=["POST"])
@login_required
def send_portfolio() -> object:
    """Send the quarter's summaries to everyone in the send who has not received theirs
    (generating any missing), every account at once; never twice to anyone."""
    require(may_send_summaries(current_user))
    form = SendForm()
    if not form.validate_on_submit():
        flash("Give a quarter like 2026-Q3.", "danger")
        return redirect(url_for("summaries.coverage"))
    return _start_job(None, form, send=True, regenerate=False, variant="stakeholder",
                      summary="Send all summaries")


@bp.route("/accounts/<slug>/summaries")
@login_required
def account(slug: str) -> str:
    session = get_session()
    acc, can_send = summaries_access(session, current_user, slug)
    quarter = _quarter()
    figure = account_coverage(session, acc, quarter)
    rows = coverage_rows(session, quarter, Account.id == acc.id)
    summaries = session.exec(
        select(ValueSummary, Stakeholder.name, Distribution.status, Distribution.error)
        .join(Stakeholder, Stakeholder.id == ValueSummary.stakeholder_id, isouter=True)
        .join(Distribution, Distribution.summary_id == ValueSummary.id, isouter=True)
        .where(ValueSummary.account_id == acc.id, ValueSummary.quarter == quarter.label)
        .order_by(ValueSummary.variant, Stakeholder.name)
    ).all()
    unknown = {summary.id for _d, summary, _n, _s in unknown_sendings(
        session, sa.and_(ValueSummary.account_id == acc.id,
                         ValueSummary.quarter == quarter.label))}
    form = GenerateForm(quarter=quarter.label)
    in_send = acc.status == SEND_ACCOUNT_STATUS
    if not in_send:  # nobody of the account is sent a summary: only the internal review
        form.variant.choices = [c for c in form.variant.choices if c.value == "internal"]
    return render_template(
        "summaries/account.html", account=acc, quarter=quarter, figure=figure, rows=rows,
        in_send=in_send, summaries=summaries, form=form,
        send_form=SendForm(quarter=quarter.label), can_send=can_send, unknown=unknown,
        any_failed=any(status == "failed" for _s, _n, status, _e in summaries),
        retry_form=SendForm(quarter=quarter.label), resolve=resolve_forms(),
    )


@account_route(bp, "/accounts/<slug>/summaries/preview", lookup=get_account_for_summaries)
def preview(acc: Account) -> Response:
    """One stakeholder's PDF (or the internal review), rendered now, shown inline."""
    session = get_session()
    quarter = _quarter()
    stakeholder = None
    if request.args.get("stakeholder", "") != "internal":
        stakeholder = get_account_stakeholder(session, acc, id_arg("stakeholder"))
        if stakeholder.erased_at is not None:  # an erased person gets no summary
            abort(404)
    try:
        content = build_pdf(session, acc, stakeholder, quarter)
    except RenderTimeout:
        abort(503)
    return file_response(content, filename="preview.pdf", mimetype="application/pdf",
                         inline=True)


@account_route(bp, "/accounts/<slug>/summaries/generate", methods=["POST"], write=True,
               lookup=get_account_for_summaries)
def generate(acc: Account) -> object:
    form = GenerateForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(url_for("summaries.account", slug=acc.slug,
                                quarter=form.quarter.data or None))
    variant = form.variant.data if form.variant.data in SUMMARY_VARIANTS else "stakeholder"
    return _start_job([acc.id], form, send=form.send.data, regenerate=True, variant=variant,
                      summary=f"Summaries for {acc.name}")


@account_route(bp, "/accounts/<slug>/summaries/send", methods=["POST"], write=True,
               lookup=get_account_for_summaries)
def send(acc: Account) -> object:
    """Send the quarter's summaries (generating any missing); never twice to anyone."""
    form = SendForm()
    if not form.validate_on_submit():
        flash("Give a quarter like 2026-Q3.", "danger")
        return redirect(url_for("summaries.account", slug=acc.slug))
    return _start_job([acc.id], form, send=True, regenerate=False, variant="stakeholder",
                      summary=f"Send summaries of {acc.name}")


@account_route(bp, "/accounts/<slug>/summaries/retry", methods=["POST"], write=True,
               lookup=get_account_for_summaries)
def retry_failed(acc: Account) -> object:
    """Send again the quarter's failed sendings of the account (only those), as a job."""
    session = get_session()
    form = SendForm()
    if not form.validate_on_submit():
        flash("Give a quarter like 2026-Q3.", "danger")
        return redirect(url_for("summaries.account", slug=acc.slug))
    quarter = parse_quarter(form.quarter.data, app_start_month()).label
    try:
        job = create_failed_sendings_job(session, account=acc, quarter=quarter,
                                         user_id=current_user.id)
    except ValueError as exc:
        flash(f"{exc}.", "info")
        return redirect(url_for("summaries.account", slug=acc.slug, quarter=quarter))
    session.commit()
    enqueue_job(current_app._get_current_object(), job)  # type: ignore[attr-defined]
    flash(f"Retrying {job.total} failed sending(s).", "success")
    return redirect(url_for("jobs.show", job_id=job.id))


def _summary(session: Session, user: User, slug: str, summary_id: int, *,
             write: bool) -> tuple[Account, ValueSummary]:
    """(account, one of its summaries) for a summaries view (`get_account_for_summaries`)."""
    acc = get_account_for_summaries(session, user, slug, write=write)
    return acc, get_account_summary(session, acc, summary_id)


@account_route(bp, "/accounts/<slug>/summaries/<int:summary_id>/resolve", methods=["POST"],
               write=True, lookup=_summary)
def resolve(acc: Account, summary: ValueSummary) -> object:
    """Resolve a sending of unknown delivery: mark it delivered, or resend it."""
    session = get_session()
    form = ResolveForm()
    back = form.back.data or ""
    if back == "coverage":
        target = url_for("summaries.coverage", quarter=summary.quarter)
    elif back.startswith("job:") and back[4:].isdigit():
        target = url_for("jobs.show", job_id=int(back[4:]))
    else:
        target = url_for("summaries.account", slug=acc.slug, quarter=summary.quarter)
    if not form.validate_on_submit():
        flash("Choose Mark delivered or Resend.", "danger")
        return redirect(target)
    row = session.exec(select(Distribution).where(Distribution.summary_id == summary.id,
                                                  Distribution.channel == CHANNEL)).first()
    if row is None:
        abort(404)
    try:
        if form.action.data == "mark_delivered":
            mark_delivered(session, row, user=current_user)
            session.commit()
            flash(f"Marked delivered to {row.recipient}.", "success")
        else:
            resend(session, row, user=current_user)  # commits its claim, then the result
            if row.status == "sent":
                flash(f"Resent to {row.recipient}.", "success")
            else:
                flash(f"Not resent: {row.error}.", "warning")
    except NotUnknown:
        flash("Someone resolved this sending meanwhile.", "info")
    except OSError as exc:  # the mail server refused or is away; recorded as failed
        flash(f"The resend failed ({exc}): it is listed as failed, retry it later.",
              "danger")
    return redirect(target)


@account_route(bp, "/accounts/<slug>/summaries/<int:summary_id>.pdf", lookup=_summary)
def download(_acc: Account, summary: ValueSummary) -> Response:
    path = reports_file(summary.file_path)
    try:
        # Summaries are small; reading them whole avoids an open file per response.
        content = path.read_bytes()
    except FileNotFoundError:  # removed since reports_file looked
        abort(404)
    return file_response(content, filename=path.name, mimetype="application/pdf")
