"""Demo data of the activity timeline: the team's calls, meetings and e-mails with each
demo stakeholder on the day they were last contacted, and some notes, so every
timeline has something to show."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from ..models import Activity, ActivityStakeholder, Stakeholder

SEED = 20261201
# The kind logged for a person's preferred channel.
KIND_BY_CHANNEL = {"email": "email", "phone": "call", "video": "meeting",
                   "in_person": "meeting", "chat": "email"}
SUMMARIES = {
    "call": ("Renewal check-in: timeline and budget owners.",
             "Walked through last quarter's savings figures.",
             "Follow-up on the support escalation."),
    "meeting": ("Quarterly business review.", "Roadmap session with their team.",
                "Onboarding workshop for the new site."),
    "email": ("Sent the value summary draft for comments.",
              "Answered questions about the new reporting.",
              "Shared the case study they asked for."),
}
OUTCOMES = (None, "Agreed to review the figures with finance.", "Next call in two weeks.",
            "They will introduce us to the new operations lead.")
NOTES = ("Budget freeze rumoured for next quarter; watch the renewal.",
         "Competitor demo scheduled with their IT team.",
         "New CFO started this month.")


def seed(session: Session, made: dict[str, Any]) -> None:
    """One contact per demo stakeholder on their last-contacted day, an earlier one for
    some, and a note on some accounts. Their last contacted is the core area's."""
    rng = random.Random(SEED)
    users = made.get("users") or {}
    by_account: dict[int, list[Stakeholder]] = made.get("stakeholders_by_account") or {}
    accounts = {a.id: a for a in made.get("accounts") or []}
    count = 0
    for account_id, people in by_account.items():
        account = accounts.get(account_id)
        author = account.owner_id if account is not None else None
        if author is None and users.get("am1") is not None:
            author = users["am1"].id
        for person in people:
            if person.last_contacted_on is None:
                continue
            kind = KIND_BY_CHANNEL.get(person.preferred_channel or "", "call")
            days = [person.last_contacted_on]
            if rng.random() < 0.5:
                days.append(person.last_contacted_on - timedelta(days=rng.randint(20, 60)))
            for day in days:
                _add(session, account_id, author, kind, day, rng.choice(SUMMARIES[kind]),
                     rng.choice(OUTCOMES), [person.id])
                count += 1
        if people and rng.random() < 0.6:
            first = people[0]
            day = (first.last_contacted_on or made["today"]) - timedelta(days=rng.randint(1, 9))
            _add(session, account_id, author, "note", day, rng.choice(NOTES), None, [])
            count += 1
    session.flush()
    made["activities"] = count


def _add(session: Session, account_id: int, author: int | None, kind: str, day: Any,
         summary: str, outcome: str | None, people: list[int]) -> None:
    activity = Activity(account_id=account_id, user_id=author, kind=kind, occurred_on=day,
                        summary=summary, outcome=outcome)
    session.add(activity)
    session.flush()
    for person_id in people:
        session.add(ActivityStakeholder(activity_id=activity.id, stakeholder_id=person_id))
