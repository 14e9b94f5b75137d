"""The value pages of an account: value log, commitments, links, confirmations, pulses.

Every view starts with the access helper (other managers' accounts answer 404,
reading roles answer 403 on anything that changes data), then form, one write
function of `valuetracker.value` (which records the audit event), one commit, flash,
redirect.
"""

from __future__ import annotations

import smtplib
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlmodel import Session, select

from .. import value as domain
from ..access import (
    account_access,
    get_account_for_user,
    get_account_link,
    get_account_stakeholder,
    get_commitment_for_user,
    get_entry_for_user,
)
from ..cache import cached
from ..db import StaleEditError, get_session
from ..forms import choices, stakeholder_choices
from ..models import DRIVERS, EVIDENCE_STATUSES, Account, User
from ..value.forms import (
    CommitmentForm,
    DescribedReviewForm,
    EntryForm,
    RecordConfirmationForm,
    RecordPulseForm,
    SendLinkForm,
)
from ._request import account_route, edit_page, page_arg, quarter_arg, require_button, save_edit

bp = Blueprint("value", __name__, url_prefix="/accounts/<slug>/value")


def _stakeholder_choices(account: Account, *, reachable_only: bool = False,
                         blank: str | None = None) -> list[Any]:
    people = domain.account_stakeholders(get_session(), account_id=account.id)
    if reachable_only:
        people = [p for p in people if domain.unreachable_reason(p) is None]
    return stakeholder_choices(people, blank=blank)


# --------------------------------------------------------------------------- pages


@bp.route("")
@login_required
def overview(slug: str) -> str:
    session = get_session()
    account, can_edit = account_access(session, current_user, slug)
    return _overview_page(account, can_edit)


def _overview_page(account: Account, can_edit: bool,
                   submitted: DescribedReviewForm | None = None, entry_id: int | None = None
                   ) -> str:
    """The account value page; `submitted` (with errors) replaces the review form of the
    described entry `entry_id`, so the page comes back with the field errors."""
    session = get_session()
    today = date.today()
    # The value figures at the top are kept until one of the account's rows changes.
    overview = cached(session, "account-value-overview", (account.id, today),
                      lambda: domain.account_overview(session, account, today=today),
                      account=account.id)
    context = domain.account_value_page(session, account, today=today, overview=overview)
    people = domain.account_stakeholders(session, account_id=account.id)
    described = domain.described_entries(session, account_id=account.id)
    review_forms = {}
    if can_edit:
        for item in described:
            if submitted is not None and item.entry.id == entry_id:
                review_forms[item.entry.id] = submitted
            else:
                review_forms[item.entry.id] = _review_form(item.entry, formdata=None)
    return render_template(
        "value/overview.html", account=account, v=context, can_edit=can_edit,
        unreachable=[(p, domain.unreachable_reason(p)) for p in people
                     if domain.unreachable_reason(p)],
        described=described, review_forms=review_forms,
    )


def _review_form(entry: Any, **kwargs: Any) -> DescribedReviewForm:
    """The review form of one described entry (its own prefix: one form per entry)."""
    return DescribedReviewForm(prefix=f"described-{entry.id}", obj=entry, **kwargs)


def _listed_entry(session: Session, user: User, slug: str, entry_id: int, *,
                  write: bool) -> tuple[Account, Any]:
    """The account and an entry to edit or record an answer for (`get_entry_for_user`);
    a described entry goes to its review on the value page instead."""
    account, entry = get_entry_for_user(session, user, slug, entry_id, write=write)
    if entry.is_described:
        flash("The customer described this value; review it on the value page first.", "info")
        abort(redirect(url_for("value.overview", slug=account.slug) + "#described"))
    return account, entry


@bp.route("/log")
@login_required
def log(slug: str) -> str:
    session = get_session()
    account, can_edit = account_access(session, current_user, slug)
    args = {k: request.args.get(k, "").strip() for k in ("quarter", "driver", "status")}
    errors: list[str] = []
    quarter = quarter_arg(errors=errors)
    driver = args["driver"] if args["driver"] in DRIVERS else None
    status = args["status"] if args["status"] in EVIDENCE_STATUSES else None
    page = domain.list_entries(session, account_id=account.id, quarter=quarter, driver=driver,
                               status=status, page=page_arg(),
                               per_page=int(current_app.config.get("PAGE_SIZE", 25)))
    ids = [e.id for e in page.items]
    return render_template(
        "value/log.html", account=account, page=page, args=args,
        error=errors[0] if errors else None,
        beneficiaries=domain.beneficiary_names(session, ids),
        answers=domain.latest_confirmation_by_entry(session, ids),
        drivers=DRIVERS, statuses=EVIDENCE_STATUSES, can_edit=can_edit,
        pager_args={"slug": account.slug, **{k: v for k, v in args.items() if v}},
    )


# --------------------------------------------------------------------------- entries


@account_route(bp, "/entries/new", methods=["GET", "POST"], write=True)
def new_entry(account: Account) -> Any:
    session = get_session()
    form = EntryForm()
    form.beneficiaries.choices = _stakeholder_choices(account)
    if form.validate_on_submit():
        domain.create_entry(session, account, form.data_dict(),
                            beneficiaries=form.beneficiaries.data or [], user=current_user)
        session.commit()
        flash("Value entry added.", "success")
        return redirect(url_for("value.log", slug=account.slug))
    return render_template("value/entry_form.html", account=account, form=form, entry=None)


@account_route(bp, "/entries/<int:entry_id>/edit", methods=["GET", "POST"], write=True,
               lookup=_listed_entry)
def edit_entry(account: Account, entry: Any) -> Any:
    session = get_session()
    form = EntryForm(obj=entry)
    form.beneficiaries.choices = _stakeholder_choices(account)
    if request.method == "GET":
        form.beneficiaries.data = domain.beneficiary_ids(session, entry.id)
    conflict = None
    if form.validate_on_submit():
        saved, conflict = save_edit(
            session, form, entry, entity="value_entry",
            update=lambda: domain.update_entry(
                session, entry, form.data_dict(), expected_version=form.version.data,
                beneficiaries=form.beneficiaries.data or [], user=current_user))
        if saved:
            session.commit()
            flash("Value entry saved.", "success")
            return redirect(url_for("value.log", slug=account.slug))
    return edit_page("value/entry_form.html", conflict, account=account, form=form,
                     entry=entry)


@account_route(bp, "/entries/<int:entry_id>/delete", methods=["POST"], write=True,
               lookup=get_entry_for_user)
def delete_entry(account: Account, entry: Any) -> Any:
    session = get_session()
    require_button()
    title = entry.title
    domain.delete_entry(session, entry, user=current_user)
    session.commit()
    flash(f"Deleted “{title}”.", "success")
    return redirect(url_for("value.log", slug=account.slug))


@account_route(bp, "/entries/<int:entry_id>/confirmation", methods=["GET", "POST"],
               write=True, lookup=_listed_entry)
def record_confirmation(account: Account, entry: Any) -> Any:
    """The team records a stakeholder's answer given on a call."""
    session = get_session()
    form = RecordConfirmationForm()
    form.stakeholder_id.choices = _stakeholder_choices(account, blank="Choose…")
    if form.validate_on_submit():
        domain.record_confirmation(
            session, entry, stakeholder_id=form.stakeholder_id.data,
            response=form.response.data, comment=form.comment.data,
            adjusted_amount=form.adjusted_amount.data, user=current_user)
        session.commit()
        flash("Answer recorded.", "success")
        return redirect(url_for("value.overview", slug=account.slug))
    return render_template("value/confirmation_form.html", account=account, entry=entry,
                           form=form)


# --------------------------------------------------------------------------- described value


def _described_entry(session: Session, user: User, slug: str, entry_id: int, *,
                     write: bool) -> tuple[Account, Any]:
    """The account and a described entry to review (`get_entry_for_user`); back to the
    value page, with a message, when it was reviewed already (a second tab, a
    colleague)."""
    account, entry = get_entry_for_user(session, user, slug, entry_id, write=write)
    if not entry.is_described:
        flash("That value was already reviewed.", "info")
        abort(redirect(url_for("value.overview", slug=account.slug)))
    return account, entry


def _take_review(session: Session, entry: Any, **review: Any) -> bool:
    """Review a described entry (`value.review_described_entry`) and commit. False, rolled
    back and said so, when someone reviewed or changed it since the page was opened
    (a second tab, a colleague): of two reviews exactly one is taken."""
    try:
        domain.review_described_entry(session, entry, user=current_user, **review)
    except (StaleEditError, domain.ReviewError):
        session.rollback()
        flash("Someone reviewed or changed this value since you opened the page; "
              "here it is as it is now.", "warning")
        return False
    session.commit()
    return True


@account_route(bp, "/described/<int:entry_id>/review", methods=["POST"], write=True,
               lookup=_described_entry)
def review_described(account: Account, entry: Any) -> Any:
    """Put a figure on value the customer described: it becomes a confirmed entry."""
    session = get_session()
    form = _review_form(entry)
    if form.validate_on_submit():
        if _take_review(session, entry, accept=True, data=form.data_dict(),
                        expected_version=form.version.data):
            flash(f"“{entry.title}” added to the value log as confirmed value.", "success")
        return redirect(url_for("value.overview", slug=account.slug) + "#described")
    return _overview_page(account, True, submitted=form, entry_id=entry.id), 400


@account_route(bp, "/described/<int:entry_id>/dismiss", methods=["POST"], write=True,
               lookup=_described_entry)
def dismiss_described(account: Account, entry: Any) -> Any:
    """Dismiss value the customer described (not value we delivered, or listed already)."""
    require_button()
    title = entry.title  # (a dismissed entry is deleted)
    if _take_review(get_session(), entry, accept=False):
        flash(f"Dismissed “{title}”.", "success")
    return redirect(url_for("value.overview", slug=account.slug) + "#described")


# --------------------------------------------------------------------------- commitments


def _commitment_form(account: Account, obj: Any = None) -> CommitmentForm:
    form = CommitmentForm(obj=obj)
    entries = domain.entry_choices(get_session(), account_id=account.id)
    form.delivered_by.choices = choices(
        {"0": "—", **{str(i): f"{d.isoformat()} · {t}" for i, d, t in entries}})
    return form


@account_route(bp, "/commitments/new", methods=["GET", "POST"], write=True)
def new_commitment(account: Account) -> Any:
    session = get_session()
    form = _commitment_form(account)
    if form.validate_on_submit():
        domain.create_commitment(
            session, account, form.data_dict(),
            delivered_by=_delivering_entry(account, form.delivered_by.data), user=current_user)
        session.commit()
        flash("Commitment added.", "success")
        return redirect(url_for("value.overview", slug=account.slug) + "#commitments")
    return render_template("value/commitment_form.html", account=account, form=form,
                           commitment=None)


def _delivering_entry(account: Account, entry_id: int | None) -> Any:
    if not entry_id:
        return None
    _account, entry = get_entry_for_user(get_session(), current_user, account.slug, entry_id,
                                         write=True)
    return entry


@account_route(bp, "/commitments/<int:commitment_id>/edit", methods=["GET", "POST"],
               write=True, lookup=get_commitment_for_user)
def edit_commitment(account: Account, commitment: Any) -> Any:
    session = get_session()
    form = _commitment_form(account, commitment)
    if request.method == "GET":
        from ..models import ValueEntry

        linked = session.exec(select(ValueEntry.id).where(
            ValueEntry.commitment_id == commitment.id)).first()
        form.delivered_by.data = linked or 0
    conflict = None
    if form.validate_on_submit():
        data = form.data_dict()
        delivered_by = (_delivering_entry(account, form.delivered_by.data)
                        if data["status"] == "delivered" else None)
        saved, conflict = save_edit(
            session, form, commitment, entity="value_commitment", mine=lambda: data,
            update=lambda: domain.update_commitment(
                session, commitment, data, expected_version=form.version.data,
                delivered_by=delivered_by, user=current_user))
        if saved:
            session.commit()
            flash("Commitment saved.", "success")
            return redirect(url_for("value.overview", slug=account.slug) + "#commitments")
    return edit_page("value/commitment_form.html", conflict, account=account, form=form,
                     commitment=commitment)


# --------------------------------------------------------------------------- links and pulses


@account_route(bp, "/links/new", methods=["GET", "POST"], write=True)
def send_link(account: Account) -> Any:
    """Send a stakeholder a confirmation or pulse link; show it to copy."""
    session = get_session()
    form = SendLinkForm()
    form.stakeholder_id.choices = _stakeholder_choices(account, reachable_only=True,
                                                       blank="Choose…")
    if request.method == "GET" and request.args.get("purpose") in ("confirm_value", "pulse"):
        form.purpose.data = request.args["purpose"]
    people = domain.account_stakeholders(session, account_id=account.id)
    unreachable = [(p, domain.unreachable_reason(p)) for p in people
                   if domain.unreachable_reason(p)]
    if form.validate_on_submit():
        stakeholder = get_account_stakeholder(session, account, form.stakeholder_id.data)
        entry_ids = None
        if form.purpose.data == "confirm_value":
            entry_ids = domain.entries_to_confirm(session, stakeholder=stakeholder,
                                                  scope=form.scope.data)
        try:
            sent = domain.send_link(session, account=account, stakeholder=stakeholder,
                                    purpose=form.purpose.data, entry_ids=entry_ids,
                                    user=current_user)
        except domain.OutreachError as exc:
            session.rollback()
            form.stakeholder_id.errors.append(str(exc))
        except (smtplib.SMTPException, OSError) as exc:
            # The mail server refused or is down: nothing is recorded, the user can retry.
            session.rollback()
            current_app.logger.warning("link email to stakeholder %s failed: %s",
                                       stakeholder.id, exc)
            form.form_errors.append("The email could not be sent (the mail server did not "
                                    "accept it). Nothing was recorded; try again later.")
        else:
            session.commit()
            flash(f"Link emailed to {stakeholder.name}.", "success")
            return render_template("value/link_sent.html", account=account, sent=sent,
                                   stakeholder=stakeholder, count=len(entry_ids or []))
    return render_template("value/link_form.html", account=account, form=form,
                           unreachable=unreachable)


def _value_link(session: Session, user: User, slug: str, link_id: int, *,
                write: bool) -> tuple[Account, Any]:
    """The account and one of its value links (confirmation, pulse), for a button that
    changes it: 404 out of scope, 403 for readers, 400 without the form's CSRF token."""
    account = get_account_for_user(session, user, slug, write=write)
    link = get_account_link(session, account, link_id, purposes=domain.VALUE_PURPOSES)
    require_button()
    return account, link


@account_route(bp, "/links/<int:link_id>/revoke", methods=["POST"], write=True,
               lookup=_value_link)
def revoke_link(account: Account, link: Any) -> Any:
    """Withdraw a link that was sent but not answered (it then shows "withdrawn")."""
    session = get_session()
    domain.withdraw_link(session, link, user=current_user)
    session.commit()
    flash("Link withdrawn.", "success")
    return redirect(url_for("value.overview", slug=account.slug) + "#links")


@account_route(bp, "/links/<int:link_id>/resend", methods=["POST"], write=True,
               lookup=_value_link)
def resend_link(account: Account, link: Any) -> Any:
    """Send a new link in place of an unanswered one (the old one stops working)."""
    session = get_session()
    try:
        sent = domain.resend_link(session, link, user=current_user)
    except domain.OutreachError as exc:
        session.rollback()
        flash(str(exc), "warning")
    except (smtplib.SMTPException, OSError) as exc:
        session.rollback()
        current_app.logger.warning("link email (resend of link %s) failed: %s", link.id, exc)
        flash("The email could not be sent (the mail server did not accept it). The old "
              "link still works; try again later.", "danger")
    else:
        session.commit()
        who = get_account_stakeholder(session, account, sent.link.stakeholder_id)
        flash(f"A new link was emailed to {who.name}; the old one no longer works.", "success")
    return redirect(url_for("value.overview", slug=account.slug) + "#links")


@account_route(bp, "/pulses/new", methods=["GET", "POST"], write=True)
def record_pulse(account: Account) -> Any:
    """The team records a pulse taken on a call."""
    session = get_session()
    form = RecordPulseForm()
    form.stakeholder_id.choices = _stakeholder_choices(account, blank="Choose…")
    if form.validate_on_submit():
        stakeholder = get_account_stakeholder(session, account, form.stakeholder_id.data)
        domain.record_pulse(session, stakeholder, form.data_dict(),
                            taken_on=form.taken_on.data, user=current_user)
        session.commit()
        flash("Pulse recorded.", "success")
        return redirect(url_for("value.overview", slug=account.slug) + "#loyalty")
    return render_template("value/pulse_form.html", account=account, form=form)


@account_route(bp, "/pulses")
def pulses(account: Account) -> str:
    session = get_session()
    return render_template("value/pulses.html", account=account,
                           rows=domain.pulse_history(session, account_id=account.id))
