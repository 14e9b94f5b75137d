"""Running the program: the reason taxonomy, interview guides and program rules."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select

from ... import audit
from ...access import (
    WINLOSS_EDITORS,
    require_role,
    role_required,
)
from ...competitors import resolve_competitors
from ...db import get_session
from ...forms import EmptyForm
from ...models import (
    Competitor,
    DecisionFactor,
    GuideQuestion,
    InterviewAnswer,
    InterviewGuide,
    ProgramRule,
)
from ...winloss.forms import (
    FactorForm,
    GuideForm,
    QuestionForm,
    RuleForm,
    factor_choices,
    optional_int,
)
from ...winloss.interviews import (
    guide_questions,
    move_question,
    renumber_questions,
)
from ...winloss.taxonomy import ensure_default_taxonomy, list_factors
from ._common import PROGRAM_READERS, bp


@bp.route("/taxonomy", methods=["GET", "POST"])
@role_required(*PROGRAM_READERS)
def taxonomy() -> Any:
    session = get_session()
    form = FactorForm()
    if request.method == "POST":
        require_role(current_user, *WINLOSS_EDITORS)
        if form.validate_on_submit():
            if _factor_clash(form, None):
                form.name.errors.append("This category already has a factor of that name.")
            else:
                factor = DecisionFactor(category=form.category.data.strip(),
                                        name=form.name.data.strip(),
                                        position=form.position.data or 100,
                                        active=form.active.data)
                session.add(factor)
                session.flush()
                audit.record(session, "create", "decision_factor", factor.id,
                             f"factor {factor.category} / {factor.name} added")
                session.commit()
                flash(f"Factor {factor.name} added.", "success")
                return redirect(url_for("winloss.taxonomy"))
    return render_template("winloss/taxonomy.html", factors=list_factors(session), form=form,
                           can_edit=current_user.role in WINLOSS_EDITORS)


def _factor_clash(form: FactorForm, factor: DecisionFactor | None) -> bool:
    found = get_session().exec(select(DecisionFactor.id).where(
        DecisionFactor.category == form.category.data.strip(),
        DecisionFactor.name == form.name.data.strip())).first()
    return found is not None and (factor is None or found != factor.id)


@bp.route("/taxonomy/default", methods=["POST"])
@role_required(*WINLOSS_EDITORS)
def load_default_taxonomy() -> Any:
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    added = ensure_default_taxonomy(session)
    audit.record(session, "create", "decision_factor", None,
                 f"default taxonomy loaded ({added} factors added)")
    session.commit()
    flash(f"Default taxonomy loaded: {added} factors added.", "success")
    return redirect(url_for("winloss.taxonomy"))


@bp.route("/taxonomy/<int:factor_id>/edit", methods=["GET", "POST"])
@role_required(*WINLOSS_EDITORS)
def edit_factor(factor_id: int) -> Any:
    session = get_session()
    factor = session.get(DecisionFactor, factor_id) or abort(404)
    form = FactorForm(obj=factor)
    if form.validate_on_submit():
        if _factor_clash(form, factor):
            form.name.errors.append("This category already has a factor of that name.")
        else:
            data = {"category": form.category.data.strip(), "name": form.name.data.strip(),
                    "position": form.position.data or 0, "active": form.active.data}
            diff = audit.changes(factor, data)
            for key, value in data.items():
                setattr(factor, key, value)
            session.add(factor)
            audit.record(session, "update", "decision_factor", factor.id,
                         f"factor {factor.name} updated", details=diff)
            session.commit()
            flash(f"Factor {factor.name} saved.", "success")
            return redirect(url_for("winloss.taxonomy"))
    return render_template("winloss/simple_form.html", form=form,
                           title=f"Edit factor {factor.name}", cancel=url_for("winloss.taxonomy"))


@bp.route("/guides", methods=["GET", "POST"])
@role_required(*PROGRAM_READERS)
def guides() -> Any:
    session = get_session()
    form = GuideForm()
    if request.method == "POST":
        require_role(current_user, *WINLOSS_EDITORS)
        if form.validate_on_submit():
            guide = InterviewGuide(name=form.name.data.strip(), outcome=form.outcome.data,
                                   active=form.active.data)
            session.add(guide)
            session.flush()
            audit.record(session, "create", "interview_guide", guide.id,
                         f"guide {guide.name} created")
            session.commit()
            flash(f"Guide {guide.name} created; add its questions.", "success")
            return redirect(url_for("winloss.guide", guide_id=guide.id))
    rows = session.exec(
        select(InterviewGuide, sa.func.count(GuideQuestion.id))
        .join(GuideQuestion, GuideQuestion.guide_id == InterviewGuide.id, isouter=True)
        .group_by(InterviewGuide.id).order_by(InterviewGuide.name)).all()
    return render_template("winloss/guides.html", rows=rows, form=form,
                           can_edit=current_user.role in WINLOSS_EDITORS)


def _question_form(question: GuideQuestion | None = None) -> QuestionForm:
    form = QuestionForm(obj=question)
    form.factor_id.choices = factor_choices(list_factors(get_session()), blank="None")
    if request.method == "GET" and question is not None:
        form.factor_id.data = str(question.factor_id or "")
        form.choices_text.data = question.choices or ""
    return form


def _question_data(form: QuestionForm) -> dict[str, Any]:
    options = [c.strip() for c in (form.choices_text.data or "").split(";") if c.strip()]
    return {"text": form.text.data.strip(), "kind": form.kind.data,
            "choices": ";".join(options) if form.kind.data == "choice" else None,
            "factor_id": optional_int(form.factor_id.data)}


@bp.route("/guides/<int:guide_id>", methods=["GET", "POST"])
@role_required(*PROGRAM_READERS)
def guide(guide_id: int) -> Any:
    """A guide's settings and ordered questions; POST adds a question."""
    session = get_session()
    guide = session.get(InterviewGuide, guide_id) or abort(404)
    form = _question_form()
    guide_form = GuideForm(obj=guide, prefix="guide")
    if request.method == "POST":
        require_role(current_user, *WINLOSS_EDITORS)
        if "guide-name" in request.form:
            if guide_form.validate_on_submit():
                data = {"name": guide_form.name.data.strip(), "outcome": guide_form.outcome.data,
                        "active": guide_form.active.data}
                diff = audit.changes(guide, data)
                for key, value in data.items():
                    setattr(guide, key, value)
                session.add(guide)
                audit.record(session, "update", "interview_guide", guide.id,
                             f"guide {guide.name} updated", details=diff)
                session.commit()
                flash("Guide saved.", "success")
                return redirect(url_for("winloss.guide", guide_id=guide.id))
        elif form.validate_on_submit():
            count = len(guide_questions(session, guide.id))
            question = GuideQuestion(guide_id=guide.id, position=(count + 1) * 10,
                                     **_question_data(form))
            session.add(question)
            session.flush()
            audit.record(session, "create", "guide_question", question.id,
                         f"question added to guide {guide.name}")
            session.commit()
            flash("Question added.", "success")
            return redirect(url_for("winloss.guide", guide_id=guide.id))
    factors = {f.id: f.name for f in list_factors(session)}
    return render_template("winloss/guide.html", guide=guide, form=form, guide_form=guide_form,
                           questions=guide_questions(session, guide.id), factors=factors,
                           can_edit=current_user.role in WINLOSS_EDITORS)


def _get_question(question_id: int) -> GuideQuestion:
    return get_session().get(GuideQuestion, question_id) or abort(404)


@bp.route("/guides/questions/<int:question_id>/edit", methods=["GET", "POST"])
@role_required(*WINLOSS_EDITORS)
def edit_question(question_id: int) -> Any:
    session = get_session()
    question = _get_question(question_id)
    form = _question_form(question)
    if form.validate_on_submit():
        data = _question_data(form)
        diff = audit.changes(question, data)
        for key, value in data.items():
            setattr(question, key, value)
        session.add(question)
        audit.record(session, "update", "guide_question", question.id, "question updated",
                     details=diff)
        session.commit()
        flash("Question saved.", "success")
        return redirect(url_for("winloss.guide", guide_id=question.guide_id))
    return render_template("winloss/simple_form.html", form=form, title="Edit question",
                           cancel=url_for("winloss.guide", guide_id=question.guide_id))


@bp.route("/guides/questions/<int:question_id>/move/<direction>", methods=["POST"])
@role_required(*WINLOSS_EDITORS)
def move_question_view(question_id: int, direction: str) -> Any:
    if direction not in ("up", "down") or not EmptyForm().validate_on_submit():
        abort(400)
    session = get_session()
    question = _get_question(question_id)
    move_question(session, question, -1 if direction == "up" else 1)
    audit.record(session, "update", "guide_question", question.id, f"question moved {direction}")
    session.commit()
    return redirect(url_for("winloss.guide", guide_id=question.guide_id))


@bp.route("/guides/questions/<int:question_id>/delete", methods=["POST"])
@role_required(*WINLOSS_EDITORS)
def delete_question(question_id: int) -> Any:
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = get_session()
    question = _get_question(question_id)
    guide = session.get(InterviewGuide, question.guide_id)
    # Answers keep their text; they just lose the link to the deleted question.
    for answer in session.exec(select(InterviewAnswer).where(
            InterviewAnswer.question_id == question.id)).all():
        answer.question_id = None
        session.add(answer)
    session.delete(question)
    session.flush()
    renumber_questions(session, guide)
    audit.record(session, "delete", "guide_question", question_id,
                 f"question removed from guide {guide.name}")
    session.commit()
    flash("Question removed.", "success")
    return redirect(url_for("winloss.guide", guide_id=guide.id))


@bp.route("/rules", methods=["GET", "POST"])
@role_required(*PROGRAM_READERS)
def rules() -> Any:
    session = get_session()
    form = RuleForm()
    if request.method == "POST":
        require_role(current_user, *WINLOSS_EDITORS)
        if form.validate_on_submit():
            competitor_id = None
            if (form.competitor.data or "").strip():
                found = resolve_competitors(session, [form.competitor.data], create=False)
                if not found:
                    form.competitor.errors.append("No competitor by that name or alias.")
                else:
                    competitor_id = found[0].id
            if not form.competitor.errors:
                rule = ProgramRule(name=form.name.data.strip(), outcome=form.outcome.data or None,
                                   min_amount=form.min_amount.data, competitor_id=competitor_id,
                                   segment=(form.segment.data or "").strip() or None)
                session.add(rule)
                session.flush()
                audit.record(session, "create", "program_rule", rule.id,
                             f"program rule {rule.name} created")
                session.commit()
                flash(f"Rule {rule.name} created.", "success")
                return redirect(url_for("winloss.rules"))
    rows = session.exec(
        select(ProgramRule, Competitor.name)
        .join(Competitor, Competitor.id == ProgramRule.competitor_id, isouter=True)
        .order_by(ProgramRule.id)).all()
    return render_template("winloss/rules.html", rows=rows, form=form,
                           can_edit=current_user.role in WINLOSS_EDITORS)


@bp.route("/rules/<int:rule_id>/toggle", methods=["POST"])
@role_required(*WINLOSS_EDITORS)
def toggle_rule(rule_id: int) -> Any:
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = get_session()
    rule = session.get(ProgramRule, rule_id) or abort(404)
    rule.active = not rule.active
    session.add(rule)
    audit.record(session, "update", "program_rule", rule.id,
                 f"program rule {rule.name} {'activated' if rule.active else 'paused'}")
    session.commit()
    return redirect(url_for("winloss.rules"))

