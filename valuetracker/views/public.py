"""Pages for stakeholders, who never log in: they arrive through signed links.

Each page shows only what its link is about (this stakeholder, this account, the
link's entries), is rate limited and CSRF protected, and uses the link up on submit.
A used, expired, revoked or tampered link gets a friendly page, never a 500.
Every page extends `templates/public/_layout.html`, branded from the branding settings
(whose stylesheet and logo this blueprint serves too, so no page loads anything from
elsewhere) and naming who asks (`stakeholder_mail.asker`: who signs the link's mail).

The unsubscribe link of every mail (`links.unsubscribe_token`) never expires: its GET
asks for a button press, the button's POST opts the person out. The mail's
`List-Unsubscribe` header points at the one-click address (RFC 8058), which mail
clients POST to without a page, so that one endpoint is exempt from CSRF: the signed
token is its protection, and the body must say `List-Unsubscribe=One-Click`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlmodel import Session

from .. import value as domain
from ..db import StaleEditError, get_session
from ..extensions import csrf, limiter
from ..forms import EmptyForm
from ..links import LinkError, resolve_link, unsubscribe_stakeholder_id
from ..models import AccessLink, Account, Stakeholder
from ..stakeholder_mail import asker
from ..stakeholders import opt_out_by_link
from ..summaries.branding import get_branding, logo_path
from ..templating import page_branding
from ..value.forms import ConfirmValueForm, PulseForm

bp = Blueprint("public", __name__, url_prefix="/l")

LINK_ERRORS = {
    "invalid": (404, "This link does not work",
                "The link is incomplete or was changed. Copy the whole link from the email, "
                "or ask your account team for a new one."),
    "expired": (410, "This link has expired",
                "For your security, links work for a limited time. Ask your account team "
                "for a new one."),
    "used": (410, "Thank you — you have already answered",
             "This link has been used, so it cannot be used again. If you want to add "
             "something, ask your account team for a new link."),
    "revoked": (410, "This link was withdrawn",
                "Your account team withdrew this link. They can send you a new one."),
}


def _public_limit() -> str:
    return str(current_app.config["PUBLIC_RATE_LIMIT"])


def _link_error(reason: str) -> tuple[str, int]:
    code, title, message = LINK_ERRORS.get(reason, LINK_ERRORS["invalid"])
    return render_template("public/link_error.html", title=title, message=message), code


def _resolve(session: Session, token: str, purpose: str) -> tuple[AccessLink, Stakeholder,
                                                                   Account]:
    link = resolve_link(session, token, purpose)
    stakeholder = session.get(Stakeholder, link.stakeholder_id)
    account = session.get(Account, link.account_id)
    if stakeholder is None or account is None or stakeholder.account_id != account.id:
        raise LinkError("invalid")
    if domain.unreachable_reason(stakeholder):
        # Opted out or left since the link was sent: the link no longer works.
        raise LinkError("revoked")
    return link, stakeholder, account


# A link page's view, called with the resolved link: (session, link, stakeholder, account).
LinkView = Callable[[Session, AccessLink, Stakeholder, Account], Any]


def _opens_link(purpose: str) -> Callable[[LinkView], Callable[[str], Any]]:
    """View decorator: resolve the URL's token (`_resolve`) and call the view with the
    link, its stakeholder and account; a link that does not work gets its page instead."""
    def decorator(view: LinkView) -> Callable[[str], Any]:
        @wraps(view)
        def wrapped(token: str) -> Any:
            session = get_session()
            try:
                link, stakeholder, account = _resolve(session, token, purpose)
            except LinkError as exc:
                return _link_error(exc.reason)
            return view(session, link, stakeholder, account)

        return wrapped

    return decorator


def _answered(session: Session, write: Callable[[], Any]) -> Any:
    """Run the answer's write function, commit once and thank; a link used up in the
    meantime (another tab, a double click) gets its page and nothing is written."""
    try:
        write()
    except LinkError as exc:
        session.rollback()
        return _link_error(exc.reason)
    session.commit()
    return redirect(url_for("public.thanks"))


def _page(template: str, session: Session, link: AccessLink, stakeholder: Stakeholder,
          account: Account, **context: Any) -> str:
    """A link's page, with the person it is for, their account and who asks."""
    return render_template(template, link=link, stakeholder=stakeholder, account=account,
                           asker=asker(session, link), **context)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_public_limit)
@_opens_link("confirm_value")
def confirm(session: Session, link: AccessLink, stakeholder: Stakeholder,
            account: Account) -> Any:
    entries = domain.link_entries(session, link)
    by_id = {entry.id: entry for entry in entries}
    form = ConfirmValueForm()
    if not form.is_submitted():
        for entry in entries:
            form.answers.append_entry({"entry_id": str(entry.id)})
    elif refused := _answers_refused(form, by_id):
        # One answer per entry the link lists, nothing else: a forged or repeated answer
        # refuses the whole submission (nothing is written, the link stays usable); the
        # page comes back with each listed entry once.
        form = _listed_again(form, entries)
        return _page("public/confirm.html", session, link, stakeholder, account, form=form,
                     rows=list(zip(form.answers, entries, strict=True)), refused=refused), 400
    if form.validate_on_submit():
        answers = [
            domain.Answer(int(item.form.entry_id.data), item.form.response.data,
                          item.form.comment.data, item.form.adjusted_amount.data)
            for item in form.answers if item.form.response.data
        ]
        return _answered(session, lambda: domain.submit_confirmation(
            session, link, answers, other_value=form.other_value.data))
    rows = [(item, by_id.get(domain.int_or_none(item.form.entry_id.data)))
            for item in form.answers]
    return _page("public/confirm.html", session, link, stakeholder, account, form=form,
                 rows=rows)


def _answers_refused(form: ConfirmValueForm, by_id: dict[int, Any]) -> str | None:
    """Why the submitted answers cannot be taken (None when they can): each must be about
    an entry of the link, and about each at most once."""
    seen: set[int | None] = set()
    for item in form.answers:
        entry_id = domain.int_or_none(item.form.entry_id.data)
        if entry_id not in by_id:
            return ("Your answers included an item this link does not ask about, so "
                    "nothing was saved. Please answer the items below.")
        if entry_id in seen:
            return ("Your answers included the same item more than once, so nothing was "
                    "saved. Please answer each item below once.")
        seen.add(entry_id)
    return None


def _listed_again(form: ConfirmValueForm, entries: list[Any]) -> ConfirmValueForm:
    """A fresh form with each of the link's entries once, keeping the first answer given
    about each (the CSRF token is the session's, as on the first page)."""
    first: dict[str, dict[str, Any]] = {}
    for item in form.answers:
        first.setdefault(str(item.form.entry_id.data), item.form.data)
    fresh = ConfirmValueForm(formdata=None, other_value=form.other_value.data)
    for entry in entries:
        fresh.answers.append_entry(first.get(str(entry.id), {"entry_id": str(entry.id)}))
    return fresh


@bp.route("/pulse/<token>", methods=["GET", "POST"])
@limiter.limit(_public_limit)
@_opens_link("pulse")
def pulse(session: Session, link: AccessLink, stakeholder: Stakeholder,
          account: Account) -> Any:
    form = PulseForm()
    if form.validate_on_submit():
        return _answered(session, lambda: domain.submit_pulse(session, link, form.data_dict()))
    return _page("public/pulse.html", session, link, stakeholder, account, form=form)


@bp.route("/thanks")
@limiter.limit(_public_limit)
def thanks() -> str:
    return render_template("public/thanks.html")


# --------------------------------------------------------------------------- unsubscribe


def _unsubscribe_target(session: Session, token: str) -> Stakeholder | None:
    """The person an unsubscribe token names: None when they are no longer on file
    (erased, or gone), so there is nothing left to stop. Raises LinkError("invalid")
    for a token that is not ours."""
    person = session.get(Stakeholder, unsubscribe_stakeholder_id(token))
    return person if person is not None and person.erased_at is None else None


def _unsubscribe_page(session: Session, person: Stakeholder | None, token: str,
                      code: int = 200) -> tuple[str, int]:
    account = session.get(Account, person.account_id) if person is not None else None
    return render_template("public/unsubscribe.html", person=person, account=account,
                           company=get_branding(session).company_name, token=token,
                           form=EmptyForm(), retry=code == 409), code


def _stale(session: Session, person: Stakeholder, token: str) -> tuple[str, int]:
    """After `StaleEditError`: an edit of the person got in between, or a second request
    (a mail client retrying) opted them out first. The page as things now stand: done,
    or the button again with a word why (409)."""
    session.rollback()
    session.refresh(person)
    return _unsubscribe_page(session, person, token, 200 if person.opted_out_at else 409)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@limiter.limit(_public_limit)
def unsubscribe(token: str) -> Any:
    """GET: what the button will do (or that it is done); POST (the button): opt out."""
    session = get_session()
    try:
        person = _unsubscribe_target(session, token)
    except LinkError as exc:
        return _link_error(exc.reason)
    form = EmptyForm()
    if person is not None and person.opted_out_at is None and form.validate_on_submit():
        try:
            opt_out_by_link(session, person)
        except StaleEditError:
            return _stale(session, person, token)
        session.commit()
        return redirect(url_for("public.unsubscribe", token=token))
    return _unsubscribe_page(session, person, token)


def _one_click_key() -> str:
    # Large mail providers send their users' one-click requests from a few addresses of
    # their own: counting per address would refuse people after a quarterly send. The
    # limit counts per link instead (a forged one fails its signature either way).
    return "unsubscribe:" + str((request.view_args or {}).get("token", ""))[:200]


@bp.route("/unsubscribe/<token>/one-click", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(_public_limit, key_func=_one_click_key)
def unsubscribe_one_click(token: str) -> Any:
    """A mail client's one-click unsubscribe (RFC 8058): a POST with the body
    `List-Unsubscribe=One-Click` opts out at once. A GET (someone opened the header's
    address in a browser) shows the page with the button instead."""
    if request.method == "GET":
        return redirect(url_for("public.unsubscribe", token=token))
    session = get_session()
    try:
        person = _unsubscribe_target(session, token)
    except LinkError as exc:
        return _link_error(exc.reason)
    if request.form.get("List-Unsubscribe") != "One-Click":
        return render_template("public/link_error.html", title="This is not an unsubscribe "
                               "request", message="Open the unsubscribe link in the e-mail "
                               "to see what it does."), 400
    if person is not None and person.opted_out_at is None:
        try:
            opt_out_by_link(session, person)
        except StaleEditError:
            return _stale(session, person, token)
        session.commit()
    return _unsubscribe_page(session, person, token)


# The pages' branding. Not rate limited: every page loads them, and they hold nothing
# but what the pages show anyway.
@bp.route("/brand.css")
def brand_css() -> Response:
    """The branding colour as CSS variables (the CSP allows no inline style); the colour
    is a validated `#rrggbb`, so nothing else can reach the stylesheet."""
    response = Response(render_template("public/brand.css", brand=page_branding()),
                        mimetype="text/css")
    response.add_etag()  # the pages revalidate it (a 304) rather than fetch it again
    return response.make_conditional(request)


@bp.route("/logo")
def logo() -> Any:
    """The branding logo, served by the app itself (404 when none is set)."""
    path = logo_path(page_branding())
    if path is None:
        abort(404)
    return send_file(path)
