"""Interview guides: their settings and their ordered questions.

Every function here that writes records its audit event and never commits.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from .. import audit
from ..db import check_version
from ..models import GuideQuestion, InterviewAnswer, InterviewGuide, User
from .interviews import guide_questions

GUIDE_FIELDS = ("name", "outcome", "active")
QUESTION_FIELDS = ("text", "kind", "choices", "factor_id")


def create_guide(session: Session, *, data: dict[str, Any],
                 user: User | None = None) -> InterviewGuide:
    """Add a guide (name, outcome or "any", active), without questions yet.

    Records "create interview_guide". Does not commit.
    """
    guide = InterviewGuide(**{key: data[key] for key in GUIDE_FIELDS if key in data})
    audit.add_created(session, guide, entity="interview_guide",
                      summary=f"guide {guide.name} created", user=user)
    return guide


def update_guide(session: Session, guide: InterviewGuide, *, data: dict[str, Any],
                 expected_version: Any, user: User | None = None) -> dict[str, list[Any]]:
    """Save a guide's settings. Raises `db.StaleEditError` (nothing changed) when someone
    saved the guide since the form was loaded at `expected_version`. Records "update
    interview_guide" with the diff and returns it. Does not commit."""
    check_version(session, guide, expected_version)
    return audit.apply_changes(
        session, guide, {key: data[key] for key in GUIDE_FIELDS if key in data},
        entity="interview_guide", summary=lambda: f"guide {guide.name} updated", user=user)


def add_question(session: Session, guide: InterviewGuide, *, data: dict[str, Any],
                 user: User | None = None) -> GuideQuestion:
    """Add a question (text, kind, choices, factor) at the end of the guide.

    Records "create guide_question". Does not commit.
    """
    count = len(guide_questions(session, guide.id))
    question = GuideQuestion(guide_id=guide.id, position=(count + 1) * 10,
                             **{key: data[key] for key in QUESTION_FIELDS if key in data})
    audit.add_created(session, question, entity="guide_question",
                      summary=f"question added to guide {guide.name}", user=user)
    return question


def update_question(session: Session, question: GuideQuestion, *, data: dict[str, Any],
                    expected_version: Any, user: User | None = None) -> dict[str, list[Any]]:
    """Save an edited question. Raises `db.StaleEditError` (nothing changed) when someone
    saved it since the form was loaded at `expected_version`. Records "update
    guide_question" with the diff and returns it. Does not commit."""
    check_version(session, question, expected_version)
    return audit.apply_changes(
        session, question, {key: data[key] for key in QUESTION_FIELDS if key in data},
        entity="guide_question", summary="question updated", user=user)


def move_question(session: Session, question: GuideQuestion, step: int, *,
                  user: User | None = None) -> None:
    """Move a question up (-1) or down (+1) in its guide; at either end, nothing moves
    but the positions are renumbered. Records "update guide_question". Does not commit.
    """
    guide = session.get(InterviewGuide, question.guide_id)
    questions = guide_questions(session, question.guide_id)
    index = next(i for i, q in enumerate(questions) if q.id == question.id)
    other = index + step
    if 0 <= other < len(questions):
        questions[index], questions[other] = questions[other], questions[index]
        for i, q in enumerate(questions, start=1):
            q.position = i * 10
            session.add(q)
    elif guide is not None:
        renumber_questions(session, guide)
    session.flush()
    audit.record(session, "update", "guide_question", question.id,
                 f"question moved {'up' if step < 0 else 'down'}", user=user)


def remove_question(session: Session, question: GuideQuestion, *,
                    user: User | None = None) -> InterviewGuide | None:
    """Delete a question; answers keep their text, they just lose the link to it. The
    guide's positions are renumbered. Records "delete guide_question"; returns the
    guide. Does not commit."""
    guide = session.get(InterviewGuide, question.guide_id)
    question_id = question.id
    for answer in session.exec(select(InterviewAnswer).where(
            InterviewAnswer.question_id == question.id)).all():
        answer.question_id = None
        session.add(answer)
    session.delete(question)
    session.flush()
    if guide is not None:
        renumber_questions(session, guide)
    audit.record(session, "delete", "guide_question", question_id,
                 f"question removed from guide {guide.name if guide else ''}", user=user)
    return guide


def renumber_questions(session: Session, guide: InterviewGuide) -> None:
    """Positions 10, 20, 30... in the current order (so moves are simple swaps)."""
    for i, question in enumerate(guide_questions(session, guide.id), start=1):
        question.position = i * 10
        session.add(question)
    session.flush()
