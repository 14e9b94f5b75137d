"""Views of the summaries area: coverage, an account's summaries, preview, generate, send,
download. Generation and sending run as background jobs (see jobs.py)."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlmodel import select
from werkzeug.utils import safe_join
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, ValidationError

from .. import audit
from ..access import account_scope, get_account_for_summaries, require_role, scope_key
from ..cache import cached
from ..db import get_session, id_arg
from ..forms import choices
from ..models import SUMMARY_VARIANTS, Account, Distribution, Stakeholder, ValueSummary
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
from ..summaries.runs import active_account_ids, create_summaries_job, enqueue_job

bp = Blueprint("summaries", __name__)

ACCOUNTS_PER_PAGE = 25
ROWS_PER_PAGE = 50


def default_quarter() -> Quarter:
    """Summaries report on the quarter that has just ended."""
    return current_quarter(app_start_month()).previous()


def quarter_arg() -> Quarter:
    """The `?quarter=` of the request, or the default (a bad value falls back, with a note)."""
    text = request.args.get("quarter", "")
    if not text:
        return default_quarter()
    try:
        return parse_quarter(text, app_start_month())
    except QuarterError as exc:
        flash(str(exc), "warning")
        return default_quarter()


def _validate_quarter(_form: FlaskForm, field: StringField) -> None:
    try:
        parse_quarter(field.data or "", app_start_month())
    except QuarterError as exc:
        raise ValidationError(str(exc)) from None


class GenerateForm(FlaskForm):
    quarter = StringField("Quarter", validators=[DataRequired(), _validate_quarter])
    variant = SelectField("Variant", choices=choices({"stakeholder": "Stakeholder summaries",
                                                     "internal": "Internal account review"}))
    send = BooleanField("Send each summary when generated")

    def validate_send(self, field: BooleanField) -> None:
        if field.data and self.variant.data == "internal":
            raise ValidationError("The internal account review is not sent to customers.")


class SendForm(FlaskForm):
    # Hidden: the button sends the quarter the page shows (rendered by hidden_tag()).
    quarter = HiddenField("Quarter", validators=[DataRequired(), _validate_quarter])


def _start_job(account_ids: list[int], form: GenerateForm | SendForm, *, send: bool,
               regenerate: bool, variant: str, summary: str) -> Response:
    """Create, audit and commit the job, then enqueue it and show its progress."""
    session = get_session()
    quarter = parse_quarter(form.quarter.data, app_start_month()).label
    job = create_summaries_job(session, quarter=quarter, account_ids=account_ids,
                               variant=variant, send=send, regenerate=regenerate,
                               user_id=current_user.id)
    audit.record(session, "create", "job", job.id, summary,
                 details={"quarter": quarter, "accounts": account_ids, "send": send})
    session.commit()
    enqueue_job(current_app._get_current_object(), job)  # type: ignore[attr-defined]
    flash(f"{summary}: {job.total} item(s) queued.", "success")
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/summaries/coverage")
@login_required
def coverage() -> str:
    session = get_session()
    quarter = quarter_arg()
    scope = account_scope(current_user)
    below = request.args.get("below") == "1"
    state = request.args.get("state", "")
    state = state if state in COVERAGE_STATES else ""
    # The figure counts every key stakeholder in scope: kept until the data changes.
    total = cached(session, "coverage", (scope_key(current_user), quarter.label),
                   lambda: portfolio_coverage(session, quarter, scope))
    accounts = coverage_by_account_page(session, quarter, scope, total, below_full=below,
                                        number=request.args.get("page", 1, type=int),
                                        size=ACCOUNTS_PER_PAGE)
    rows = coverage_rows_page(session, quarter, scope, total, state=state,
                              number=request.args.get("rows_page", 1, type=int),
                              size=ROWS_PER_PAGE)
    # Links keep the quarter, both filters and the other table's page.
    args = {key: value for key, value in {
        "quarter": quarter.label, "below": "1" if below else "", "state": state,
        "page": accounts.number if accounts.number > 1 else "",
        "rows_page": rows.number if rows.number > 1 else "",
    }.items() if value}
    form = GenerateForm(quarter=quarter.label) if current_user.role in ("leader", "admin") \
        else None
    return render_template("summaries/coverage.html", quarter=quarter, total=total,
                           accounts=accounts, rows=rows, below=below, state=state,
                           states=COVERAGE_STATES, args=args, form=form)


@bp.route("/summaries/generate", methods=["POST"])
@login_required
def generate_portfolio() -> object:
    require_role(current_user, "leader", "admin")
    form = GenerateForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(url_for("summaries.coverage"))
    account_ids = active_account_ids(get_session())
    return _start_job(account_ids, form, send=form.send.data, regenerate=True,
                      variant=form.variant.data, summary="Portfolio summaries")


@bp.route("/accounts/<slug>/summaries")
@login_required
def account(slug: str) -> str:
    session = get_session()
    acc = get_account_for_summaries(session, current_user, slug)
    quarter = quarter_arg()
    figure = account_coverage(session, acc, quarter)
    rows = coverage_rows(session, quarter, Account.id == acc.id)
    summaries = session.exec(
        select(ValueSummary, Stakeholder.name, Distribution.status)
        .join(Stakeholder, Stakeholder.id == ValueSummary.stakeholder_id, isouter=True)
        .join(Distribution, Distribution.summary_id == ValueSummary.id, isouter=True)
        .where(ValueSummary.account_id == acc.id, ValueSummary.quarter == quarter.label)
        .order_by(ValueSummary.variant, Stakeholder.name)
    ).all()
    return render_template(
        "summaries/account.html", account=acc, quarter=quarter, figure=figure, rows=rows,
        summaries=summaries, form=GenerateForm(quarter=quarter.label),
        send_form=SendForm(quarter=quarter.label),
    )


@bp.route("/accounts/<slug>/summaries/preview")
@login_required
def preview(slug: str) -> Response:
    """One stakeholder's PDF (or the internal review), rendered now, shown inline."""
    session = get_session()
    acc = get_account_for_summaries(session, current_user, slug)
    quarter = quarter_arg()
    who = request.args.get("stakeholder", "")
    stakeholder = None
    if who != "internal":
        stakeholder_id = id_arg(who)
        stakeholder = session.get(Stakeholder, stakeholder_id) if stakeholder_id else None
        if stakeholder is None or stakeholder.account_id != acc.id \
                or stakeholder.erased_at is not None:
            abort(404)
    try:
        content = build_pdf(session, acc, stakeholder, quarter)
    except RenderTimeout:
        abort(503)
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = "inline; filename=preview.pdf"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/accounts/<slug>/summaries/generate", methods=["POST"])
@login_required
def generate(slug: str) -> object:
    acc = get_account_for_summaries(get_session(), current_user, slug, write=True)
    form = GenerateForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(url_for("summaries.account", slug=acc.slug))
    variant = form.variant.data if form.variant.data in SUMMARY_VARIANTS else "stakeholder"
    return _start_job([acc.id], form, send=form.send.data, regenerate=True, variant=variant,
                      summary=f"Summaries for {acc.name}")


@bp.route("/accounts/<slug>/summaries/send", methods=["POST"])
@login_required
def send(slug: str) -> object:
    """Send the quarter's summaries (generating any missing); never twice to anyone."""
    acc = get_account_for_summaries(get_session(), current_user, slug, write=True)
    form = SendForm()
    if not form.validate_on_submit():
        flash("Give a quarter like 2026-Q3.", "danger")
        return redirect(url_for("summaries.account", slug=acc.slug))
    return _start_job([acc.id], form, send=True, regenerate=False, variant="stakeholder",
                      summary=f"Send summaries of {acc.name}")


@bp.route("/accounts/<slug>/summaries/<int:summary_id>.pdf")
@login_required
def download(slug: str, summary_id: int) -> Response:
    session = get_session()
    acc = get_account_for_summaries(session, current_user, slug)
    summary = session.get(ValueSummary, summary_id)
    if summary is None or summary.account_id != acc.id:
        abort(404)
    path = safe_join(current_app.config["REPORTS_DIR"], summary.file_path)
    if path is None:
        abort(404)
    try:
        # Summaries are small; reading them whole avoids an open file per response.
        content = Path(path).read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        abort(404)
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{Path(path).name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
