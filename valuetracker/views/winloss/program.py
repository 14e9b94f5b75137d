"""Running the program: the reason taxonomy, interview guides and program rules."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select

from ...access import (
    permission_required,
    reads_winloss_program,
    require,
    runs_winloss_program,
)
from ...accounts import last_editor
from ...db import StaleEditError, get_session
from ...forms import EmptyForm
from ...models import (
    Competitor,
    DecisionFactor,
    GuideQuestion,
    InterviewGuide,
    ProgramRule,
)
from ...winloss import guides as guide_edits
from ...winloss import rules as rule_edits
from ...winloss import taxonomy as taxonomy_edits
from ...winloss.errors import WinLossError
from ...winloss.forms import (
    FactorForm,
    GuideForm,
    QuestionForm,
    RuleForm,
    ToggleForm,
    factor_choices,
    show_error,
)
from ...winloss.interviews import guide_questions
from ...winloss.taxonomy import list_factors
from .._request import edit_conflict, require_button
from ._common import bp


@bp.route("/taxonomy", methods=["GET", "POST"])
@permission_required(reads_winloss_program)
def taxonomy() -> Any:
    session = get_session()
    form = FactorForm()
    if request.method == "POST":
        require(runs_winloss_program(current_user))
        if form.validate_on_submit():
            try:
                factor = taxonomy_edits.add_factor(session, data=form.data_dict(),
                                                   user=current_user)
            except WinLossError as exc:
                show_error(form, exc)
            else:
                session.commit()
                flash(f"Factor {factor.name} added.", "success")
                return redirect(url_for("winloss.taxonomy"))
    return render_template("winloss/taxonomy.html", factors=list_factors(session), form=form,
                           can_edit=runs_winloss_program(current_user))


@bp.route("/taxonomy/default", methods=["POST"])
@permission_required(runs_winloss_program)
def load_default_taxonomy() -> Any:
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    added = taxonomy_edits.load_default_taxonomy(session, user=current_user)
    session.commit()
    flash(f"Default taxonomy loaded: {added} factors added.", "success")
    return redirect(url_for("winloss.taxonomy"))


@bp.route("/taxonomy/<int:factor_id>/edit", methods=["GET", "POST"])
@permission_required(runs_winloss_program)
def edit_factor(factor_id: int) -> Any:
    session = get_session()
    factor = session.get(DecisionFactor, factor_id) or abort(404)
    form = FactorForm(obj=factor)
    conflict = None
    if form.validate_on_submit():
        try:
            taxonomy_edits.update_factor(session, factor, data=form.data_dict(),
                                         expected_version=form.version.data, user=current_user)
        except WinLossError as exc:
            show_error(form, exc)
        except StaleEditError:
            conflict = edit_conflict(session, form, factor, form.data_dict(),
                                     entity="decision_factor")
        else:
            session.commit()
            flash(f"Factor {factor.name} saved.", "success")
            return redirect(url_for("winloss.taxonomy"))
    return render_template("winloss/simple_form.html", form=form,
                           title=f"Edit factor {factor.name}", cancel=url_for("winloss.taxonomy"),
                           conflict=conflict, noun="this factor"), 409 if conflict else 200


@bp.route("/guides", methods=["GET", "POST"])
@permission_required(reads_winloss_program)
def guides() -> Any:
    session = get_session()
    form = GuideForm()
    if request.method == "POST":
        require(runs_winloss_program(current_user))
        if form.validate_on_submit():
            guide = guide_edits.create_guide(session, data=form.data_dict(), user=current_user)
            session.commit()
            flash(f"Guide {guide.name} created; add its questions.", "success")
            return redirect(url_for("winloss.guide", guide_id=guide.id))
    rows = session.exec(
        select(InterviewGuide, sa.func.count(GuideQuestion.id))
        .join(GuideQuestion, GuideQuestion.guide_id == InterviewGuide.id, isouter=True)
        .group_by(InterviewGuide.id).order_by(InterviewGuide.name)).all()
    return render_template("winloss/guides.html", rows=rows, form=form,
                           can_edit=runs_winloss_program(current_user))


def _question_form(question: GuideQuestion | None = None) -> QuestionForm:
    form = QuestionForm(obj=question)
    form.factor_id.choices = factor_choices(list_factors(get_session()), blank="None")
    if request.method == "GET" and question is not None:
        form.factor_id.data = str(question.factor_id or "")
        form.choices_text.data = question.choices or ""
    return form


@bp.route("/guides/<int:guide_id>", methods=["GET", "POST"])
@permission_required(reads_winloss_program)
def guide(guide_id: int) -> Any:
    """A guide's settings and ordered questions; POST adds a question."""
    session = get_session()
    guide = session.get(InterviewGuide, guide_id) or abort(404)
    form = _question_form()
    guide_form = GuideForm(obj=guide, prefix="guide")
    conflict = None
    if request.method == "POST":
        require(runs_winloss_program(current_user))
        if "guide-name" in request.form:
            if guide_form.validate_on_submit():
                try:
                    guide_edits.update_guide(session, guide, data=guide_form.data_dict(),
                                             expected_version=guide_form.version.data,
                                             user=current_user)
                except StaleEditError:
                    conflict = edit_conflict(session, guide_form, guide,
                                             guide_form.data_dict(), entity="interview_guide")
                else:
                    session.commit()
                    flash("Guide saved.", "success")
                    return redirect(url_for("winloss.guide", guide_id=guide.id))
        elif form.validate_on_submit():
            guide_edits.add_question(session, guide, data=form.data_dict(), user=current_user)
            session.commit()
            flash("Question added.", "success")
            return redirect(url_for("winloss.guide", guide_id=guide.id))
    factors = {f.id: f.name for f in list_factors(session)}
    return render_template("winloss/guide.html", guide=guide, form=form, guide_form=guide_form,
                           questions=guide_questions(session, guide.id), factors=factors,
                           can_edit=runs_winloss_program(current_user),
                           conflict=conflict), 409 if conflict else 200


def _get_question(question_id: int) -> GuideQuestion:
    return get_session().get(GuideQuestion, question_id) or abort(404)


@bp.route("/guides/questions/<int:question_id>/edit", methods=["GET", "POST"])
@permission_required(runs_winloss_program)
def edit_question(question_id: int) -> Any:
    session = get_session()
    question = _get_question(question_id)
    form = _question_form(question)
    conflict = None
    if form.validate_on_submit():
        data = form.data_dict()
        try:
            guide_edits.update_question(session, question, data=data,
                                        expected_version=form.version.data, user=current_user)
        except StaleEditError:
            conflict = edit_conflict(session, form, question,
                                     {name: data[name] for name in ("text", "kind", "factor_id")},
                                     entity="guide_question")
        else:
            session.commit()
            flash("Question saved.", "success")
            return redirect(url_for("winloss.guide", guide_id=question.guide_id))
    return render_template("winloss/simple_form.html", form=form, title="Edit question",
                           cancel=url_for("winloss.guide", guide_id=question.guide_id),
                           conflict=conflict, noun="this question"), 409 if conflict else 200


@bp.route("/guides/questions/<int:question_id>/move/<direction>", methods=["POST"])
@permission_required(runs_winloss_program)
def move_question_view(question_id: int, direction: str) -> Any:
    if direction not in ("up", "down") or not EmptyForm().validate_on_submit():
        abort(400)
    session = get_session()
    question = _get_question(question_id)
    guide_edits.move_question(session, question, -1 if direction == "up" else 1,
                              user=current_user)
    session.commit()
    return redirect(url_for("winloss.guide", guide_id=question.guide_id))


@bp.route("/guides/questions/<int:question_id>/delete", methods=["POST"])
@permission_required(runs_winloss_program)
def delete_question(question_id: int) -> Any:
    require_button()
    session = get_session()
    question = _get_question(question_id)
    guide_id = question.guide_id
    guide_edits.remove_question(session, question, user=current_user)
    session.commit()
    flash("Question removed.", "success")
    return redirect(url_for("winloss.guide", guide_id=guide_id))


@bp.route("/rules", methods=["GET", "POST"])
@permission_required(reads_winloss_program)
def rules() -> Any:
    session = get_session()
    form = RuleForm()
    if request.method == "POST":
        require(runs_winloss_program(current_user))
        if form.validate_on_submit():
            try:
                rule = rule_edits.create_rule(session, data=form.data_dict(), user=current_user)
            except WinLossError as exc:
                show_error(form, exc)
            else:
                session.commit()
                flash(f"Rule {rule.name} created.", "success")
                return redirect(url_for("winloss.rules"))
    return _rules_page(form)


def _rules_page(form: RuleForm, conflict: dict[str, Any] | None = None) -> Any:
    rows = get_session().exec(
        select(ProgramRule, Competitor.name)
        .join(Competitor, Competitor.id == ProgramRule.competitor_id, isouter=True)
        .order_by(ProgramRule.id)).all()
    return render_template("winloss/rules.html", rows=rows, form=form, conflict=conflict,
                           can_edit=runs_winloss_program(current_user)), \
        409 if conflict else 200


@bp.route("/rules/<int:rule_id>/toggle", methods=["POST"])
@permission_required(runs_winloss_program)
def toggle_rule(rule_id: int) -> Any:
    form = ToggleForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    rule = session.get(ProgramRule, rule_id) or abort(404)
    try:
        rule_edits.toggle_rule(session, rule, expected_version=form.version.data,
                               user=current_user)
    except StaleEditError:
        # The page showed an older state of the rule: say what it is now, change nothing.
        session.rollback()
        session.refresh(rule)
        saved = "active" if rule.active else "paused"
        wanted = {"active": "paused", "paused": "active"}.get(form.shown.data or "", "—")
        return _rules_page(RuleForm(formdata=None), conflict={
            "who": last_editor(session, "program_rule", rule.id),
            "differences": [(f"Status of {rule.name}", saved, wanted)]})
    session.commit()
    return redirect(url_for("winloss.rules"))

