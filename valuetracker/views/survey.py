"""The buyer survey: public, on a signed single-use link, no login.

The page shows the survey, the deal it is about and who asks
(`stakeholder_mail.asker`), in the company's branding (`templates/public/_layout.html`):
no account data, no other deal, nothing about who else answered. Every failure of the
link gets the same neutral page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from sqlmodel import select

from ..db import get_session
from ..extensions import limiter
from ..links import LinkError, resolve_link
from ..models import Deal, Stakeholder
from ..stakeholder_mail import asker
from ..winloss.deals import guide_for_outcome
from ..winloss.forms import optional_int, survey_form_class, survey_recording
from ..winloss.interviews import guide_questions, submit_survey
from ..winloss.taxonomy import list_factors

bp = Blueprint("survey", __name__)

REASONS = {
    "invalid": "This link is not valid.",
    "expired": "This link has expired.",
    "used": "This survey has already been answered. Thank you!",
    "revoked": "This link is no longer valid.",
}


def _link_error(reason: str) -> tuple[str, int]:
    status = 404 if reason == "invalid" else 410
    return render_template("survey/closed.html", message=REASONS.get(reason, REASONS["invalid"])
                           ), status


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PUBLIC_RATE_LIMIT"])
def answer(token: str) -> Any:
    session = get_session()
    try:
        link = resolve_link(session, token, "buyer_survey")
    except LinkError as exc:
        return _link_error(exc.reason)
    deal = session.get(Deal, link.deal_id) if link.deal_id else None
    if deal is None:
        return _link_error("invalid")
    guide = guide_for_outcome(session, deal.outcome)
    questions = guide_questions(session, guide.id if guide else None)
    factors = list_factors(session, active_only=True)
    form = survey_form_class(questions, factors)()
    if form.validate_on_submit():
        try:
            submit_survey(session, link, deal, guide_id=guide.id if guide else None,
                          recording=survey_recording(form, questions),
                          primary_reason_id=optional_int(form.primary_reason_id.data),
                          named=form.named.data, comment=(form.comment.data or "").strip())
        except LinkError as exc:
            session.rollback()
            return _link_error(exc.reason)
        session.commit()
        return render_template("survey/thanks.html")
    first_name = None
    if link.stakeholder_id:
        first_name = session.exec(select(Stakeholder.name).where(
            Stakeholder.id == link.stakeholder_id)).first()
    return render_template("survey/form.html", form=form, questions=questions, deal=deal,
                           asker=asker(session, link),
                           first_name=(first_name or "").split(" ")[0])
