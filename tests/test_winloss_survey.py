"""The buyer survey on signed single-use links: valid, reused, expired, tampered, misused."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select

from valuetracker.links import create_link
from valuetracker.models import FactorRating, InterviewAnswer, WinLossInterview

from .factories import make_deal, make_factor, make_guide


@pytest.fixture
def survey(app: Any, session: Any, cast: Any) -> dict[str, Any]:
    price = make_factor(session, "Price")
    guide = make_guide(session, "lost", factor=price)
    deal = make_deal(session, cast.account1, "lost", date(2026, 10, 1), name="Secret deal")
    other = make_deal(session, cast.account2, "lost", date(2026, 10, 1))
    session.commit()
    with app.test_request_context():
        link, token = create_link(session, "buyer_survey", deal_id=deal.id,
                                  stakeholder_id=cast.stakeholder1.id)
        _, expired = create_link(session, "buyer_survey", deal_id=deal.id,
                                 stakeholder_id=cast.stakeholder1.id,
                                 max_age=timedelta(seconds=-1))
        _, pulse = create_link(session, "pulse", stakeholder_id=cast.stakeholder1.id)
    session.commit()
    questions = {q.kind: q for q in _questions(session, guide.id)}
    return {"token": token, "expired": expired, "pulse": pulse, "deal": deal, "other": other,
            "price": price, "questions": questions}


def _questions(session: Any, guide_id: int) -> list[Any]:
    from valuetracker.winloss.interviews import guide_questions

    return guide_questions(session, guide_id)


def _answers(s: dict[str, Any]) -> dict[str, str]:
    text_q, rating_q = s["questions"]["text"], s["questions"]["rating"]
    return {f"q_{text_q.id}": "Your price was too high", f"q_{rating_q.id}": "2",
            "primary_reason_id": str(s["price"].id), "comment": "Good luck"}


def test_valid_link_records_a_completed_survey(client: Any, session: Any, cast: Any,
                                               survey: Any) -> None:
    page = client.get(f"/s/{survey['token']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Carol, a few questions" in text
    # The public page names its own deal, and nothing of the account, another deal or
    # the app's navigation.
    assert "Secret deal" in text and survey["other"].name not in text
    assert "Acme" not in text and "Sign out" not in text
    response = client.post(f"/s/{survey['token']}", data=_answers(survey))
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    interview = session.exec(select(WinLossInterview)).one()
    assert interview.deal_id == survey["deal"].id  # never another deal
    assert (interview.status, interview.channel, interview.anonymity) == \
        ("completed", "survey", "anonymized")
    assert interview.stakeholder_id == cast.stakeholder1.id
    assert interview.primary_reason_id == survey["price"].id
    assert len(session.exec(select(InterviewAnswer)).all()) == 2
    rating = session.exec(select(FactorRating)).one()
    assert (rating.factor_id, rating.rating) == (survey["price"].id, 2)


def test_reused_link_is_refused(client: Any, session: Any, survey: Any) -> None:
    assert client.post(f"/s/{survey['token']}", data=_answers(survey)).status_code == 200
    again = client.post(f"/s/{survey['token']}", data=_answers(survey))
    assert again.status_code == 410 and "already been answered" in again.get_data(as_text=True)
    assert client.get(f"/s/{survey['token']}").status_code == 410
    assert len(session.exec(select(WinLossInterview)).all()) == 1


def test_expired_tampered_and_wrong_purpose(client: Any, session: Any, survey: Any) -> None:
    response = client.get(f"/s/{survey['expired']}")
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    token = survey["token"]
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert client.get(f"/s/{tampered}").status_code == 404
    assert client.post(f"/s/{tampered}", data=_answers(survey)).status_code == 404
    assert client.get(f"/s/{survey['pulse']}").status_code == 404  # a pulse link is not a survey
    assert client.get("/s/not-a-token").status_code == 404
    assert session.exec(select(WinLossInterview)).all() == []


def test_csrf_is_required_on_the_public_form(app_config: Any, session: Any, cast: Any) -> None:
    from valuetracker import create_app

    app = create_app(dict(app_config, WTF_CSRF_ENABLED=True))
    deal = make_deal(session, cast.account1, "won", date(2026, 10, 1))
    session.commit()
    with app.test_request_context():
        _, token = create_link(session, "buyer_survey", deal_id=deal.id)
    session.commit()
    response = app.test_client().post(f"/s/{token}", data={"comment": "hi"})
    assert response.status_code == 400
    assert session.exec(select(WinLossInterview)).all() == []
