"""Confirmation and pulse links end to end through the HTTP app (public pages under /l/)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from valuetracker import links
from valuetracker import value as domain
from valuetracker.models import AccessLink, LoyaltyPulse, ValueConfirmation, ValueEntry, utcnow

from .factories import make_entry, make_stakeholder, ranking
from .rendered import rendered_form

URL_RE = re.compile(r"http://\S+/l/(confirm|pulse)/(\S+)")


def _outbox(app: Any) -> list[Any]:
    folder = Path(app.config["OUTBOX_DIR"])
    if not folder.exists():
        return []
    return [message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("*.eml"))]


@pytest.fixture
def arranged(session: Any, cast: Any) -> dict[str, Any]:
    """Carol (stakeholder1) benefits from two entries; Erin, at the same account, from one."""
    erin = make_stakeholder(session, cast.account1, "Erin Other")
    mine = make_entry(session, cast.account1, "1000", title="Faster invoicing",
                      beneficiaries=(cast.stakeholder1,), delivered_on=date.today())
    adjust = make_entry(session, cast.account1, "5000", title="Fewer outages",
                        beneficiaries=(cast.stakeholder1, erin), delivered_on=date.today())
    theirs = make_entry(session, cast.account1, "700", title="Erin's secret project",
                        beneficiaries=(erin,), delivered_on=date.today())
    other_account = make_entry(session, cast.account2, "900", title="Globex thing",
                               beneficiaries=(cast.stakeholder2,))
    session.commit()
    return {"erin": erin, "mine": mine, "adjust": adjust, "theirs": theirs,
            "other": other_account}


def _send(app: Any, client: Any, cast: Any, stakeholder_id: int, purpose: str = "confirm_value",
          scope: str = "concerning") -> str:
    response = client.post(f"/accounts/{cast.account1.slug}/value/links/new", data={
        "stakeholder_id": str(stakeholder_id), "purpose": purpose, "scope": scope})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Link sent" in page
    match = URL_RE.search(_outbox(app)[-1].get_body(preferencelist=("plain",)).get_content())
    assert match and match.group(0) in page  # the same link is shown to copy
    return f"/l/{match.group(1)}/{match.group(2)}"


def test_confirmation_link_end_to_end(app: Any, session: Any, cast: Any, arranged: dict,
                                      login_as: Any, client: Any) -> None:
    am = login_as(cast.am1)
    path = _send(app, am, cast, cast.stakeholder1.id)
    mail = _outbox(app)[-1]
    assert mail["To"] == cast.stakeholder1.email
    assert "Acme Corp" in mail["Subject"]

    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Faster invoicing" in text and "Fewer outages" in text
    for secret in ("Erin", "Globex", "Dan Champion"):
        assert secret not in text  # nothing about other people or accounts
    ids = [int(i) for i in re.findall(r'name="answers-\d+-entry_id" type="hidden" value="(\d+)"',
                                      text)]
    assert sorted(ids) == sorted([arranged["mine"].id, arranged["adjust"].id])
    form = {}
    for n, entry_id in enumerate(ids):
        form[f"answers-{n}-entry_id"] = str(entry_id)
        if entry_id == arranged["mine"].id:
            form[f"answers-{n}-response"] = "confirmed"
            form[f"answers-{n}-comment"] = "Invoices now go out the same day."
        else:
            form[f"answers-{n}-response"] = "adjusted"
            form[f"answers-{n}-adjusted_amount"] = "3000"
    form["other_value"] = "Your team trained our new hires for free."
    response = client.post(path, data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith("/l/thanks")

    session.expire_all()
    mine = session.get(ValueEntry, arranged["mine"].id)
    adjusted = session.get(ValueEntry, arranged["adjust"].id)
    assert mine.evidence_status == "confirmed"
    assert (adjusted.evidence_status, adjusted.amount) == ("confirmed", Decimal("3000"))
    answers = session.exec(select(ValueConfirmation)).all()
    assert {a.method for a in answers} == {"link"}
    assert {a.stakeholder_id for a in answers} == {cast.stakeholder1.id}
    # Value we did not list: the customer's words, no driver and no figure, until reviewed.
    new = session.exec(select(ValueEntry).where(ValueEntry.source == "customer")).one()
    assert (new.evidence_status, new.amount, new.driver) == ("described", None, None)
    assert "trained our new hires" in new.description
    assert session.exec(select(AccessLink)).one().used_at is not None

    team_page = am.get(f"/accounts/{cast.account1.slug}/value").get_data(as_text=True)
    assert "Invoices now go out the same day." in team_page and "Carol Buyer" in team_page

    again = client.get(path)
    assert again.status_code == 410 and "already answered" in again.get_data(as_text=True)
    assert client.post(path, data=form).status_code == 410


def test_dispute_moves_entry_to_disputed(app: Any, session: Any, cast: Any, arranged: dict,
                                         login_as: Any, client: Any) -> None:
    path = _send(app, login_as(cast.am1), cast, cast.stakeholder1.id)
    text = client.get(path).get_data(as_text=True)
    first = re.search(r'name="answers-0-entry_id" type="hidden" value="(\d+)"', text).group(1)
    response = client.post(path, data={"answers-0-entry_id": first,
                                       "answers-0-response": "disputed",
                                       "answers-0-comment": "We never saw this."})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(ValueEntry, int(first)).evidence_status == "disputed"


def test_answer_about_another_stakeholders_entry_is_rejected(
        app: Any, session: Any, cast: Any, arranged: dict, login_as: Any, client: Any) -> None:
    path = _send(app, login_as(cast.am1), cast, cast.stakeholder1.id)
    for foreign in (arranged["theirs"], arranged["other"]):
        response = client.post(path, data={"answers-0-entry_id": str(foreign.id),
                                           "answers-0-response": "disputed"})
        assert response.status_code == 400
    session.expire_all()
    assert session.get(ValueEntry, arranged["theirs"].id).evidence_status == "claimed"
    assert session.exec(select(ValueConfirmation)).all() == []
    assert session.exec(select(AccessLink)).one().used_at is None  # still usable


def _one_entry_link(app: Any, session: Any, cast: Any, login_as: Any) -> tuple[str, Any]:
    """A confirmation link for Fay, who benefits from exactly one entry."""
    fay = make_stakeholder(session, cast.account1, "Fay Single")
    entry = make_entry(session, cast.account1, "2500", title="Shorter month-end close",
                       beneficiaries=(fay,), delivered_on=date.today())
    session.commit()
    return _send(app, login_as(cast.am1), cast, fay.id), entry


def _nothing_written(session: Any, entry: Any) -> None:
    session.expire_all()
    assert session.get(ValueEntry, entry.id).evidence_status == "claimed"
    assert session.get(ValueEntry, entry.id).amount == Decimal("2500")
    assert session.exec(select(ValueConfirmation)).all() == []
    assert session.exec(select(ValueEntry).where(ValueEntry.source == "customer")).all() == []
    assert session.exec(select(AccessLink)).one().used_at is None  # still usable


def test_five_answers_for_the_one_listed_entry_are_refused(
        app: Any, session: Any, cast: Any, login_as: Any, client: Any) -> None:
    path, entry = _one_entry_link(app, session, cast, login_as)
    form = rendered_form(client.get(path).get_data(as_text=True), having="answers-0-entry_id")
    assert form.value("answers-0-entry_id") == str(entry.id)
    forged = form.data(**{"answers-0-response": "confirmed", "other_value": "More value"})
    for n in range(1, 5):  # four more answers about the same entry, as a forger adds them
        forged.add(f"answers-{n}-entry_id", str(entry.id))
        forged.add(f"answers-{n}-response", "adjusted")
        forged.add(f"answers-{n}-adjusted_amount", str(n * 100))
    response = client.post(path, data=forged)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "the same item more than once, so nothing was saved" in page
    assert page.count('name="answers-0-entry_id"') == 1 and "answers-1-" not in page
    _nothing_written(session, entry)

    # The page as re-rendered is one answer for the one entry: that goes through.
    again = rendered_form(page, having="answers-0-entry_id")
    assert again.value("answers-0-response") == "confirmed"  # the first answer kept
    assert client.post(path, data=again.data()).status_code == 302
    session.expire_all()
    # One answer about the entry (the other row is the "More value" they described).
    assert [c.response for c in session.exec(select(ValueConfirmation)
                                             .order_by(ValueConfirmation.id))] == [
        "confirmed", "described"]
    assert session.get(ValueEntry, entry.id).evidence_status == "confirmed"


def test_an_extra_answer_about_an_unlisted_entry_is_refused(
        app: Any, session: Any, cast: Any, arranged: dict, login_as: Any,
        client: Any) -> None:
    path, entry = _one_entry_link(app, session, cast, login_as)
    form = rendered_form(client.get(path).get_data(as_text=True), having="answers-0-entry_id")
    for foreign in (arranged["theirs"], arranged["other"]):
        forged = form.data(**{"answers-0-response": "confirmed"})
        forged.add("answers-1-entry_id", str(foreign.id))
        forged.add("answers-1-response", "disputed")
        response = client.post(path, data=forged)
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "an item this link does not ask about, so nothing was saved" in page
        assert foreign.title not in page
        _nothing_written(session, entry)
        assert session.get(ValueEntry, foreign.id).evidence_status == "claimed"


def test_submit_confirmation_refuses_two_answers_about_one_entry(
        app: Any, session: Any, cast: Any, arranged: dict) -> None:
    with app.test_request_context():
        link, _token = links.create_link(
            session, "confirm_value", stakeholder_id=cast.stakeholder1.id,
            account_id=cast.account1.id, payload={"entry_ids": [arranged["mine"].id]})
    twice = [domain.Answer(arranged["mine"].id, "confirmed"),
             domain.Answer(arranged["mine"].id, "disputed")]
    with pytest.raises(ValueError, match="more than one answer"):
        domain.submit_confirmation(session, link, twice, other_value=None)
    assert link.used_at is None


def test_empty_answer_rerenders(app: Any, cast: Any, arranged: dict, login_as: Any,
                                client: Any) -> None:
    path = _send(app, login_as(cast.am1), cast, cast.stakeholder1.id)
    response = client.post(path, data={"other_value": "  "})
    assert response.status_code == 200
    assert "Answer at least one item" in response.get_data(as_text=True)


def test_adjusted_answer_without_amount_rerenders(app: Any, session: Any, cast: Any,
                                                 arranged: dict, login_as: Any,
                                                 client: Any) -> None:
    path = _send(app, login_as(cast.am1), cast, cast.stakeholder1.id)
    text = client.get(path).get_data(as_text=True)
    first = re.search(r'name="answers-0-entry_id" type="hidden" value="(\d+)"', text).group(1)
    response = client.post(path, data={"answers-0-entry_id": first,
                                       "answers-0-response": "adjusted"})
    assert response.status_code == 200
    assert "Enter the amount you would put on it" in response.get_data(as_text=True)
    bad = client.post(path, data={"answers-0-entry_id": first, "answers-0-response": "maybe"})
    assert bad.status_code == 200 and "Not a valid choice" in bad.get_data(as_text=True)
    assert session.exec(select(AccessLink)).one().used_at is None


def test_recent_scope_lists_all_recent_entries(app: Any, cast: Any, arranged: dict,
                                               login_as: Any, client: Any) -> None:
    path = _send(app, login_as(cast.am1), cast, cast.stakeholder1.id, scope="recent")
    text = client.get(path).get_data(as_text=True)
    assert "Erin&#39;s secret project" in text and "Globex thing" not in text


def test_expired_tampered_revoked_and_wrong_purpose(app: Any, session: Any, cast: Any,
                                                    arranged: dict, client: Any) -> None:
    with app.test_request_context():
        _link, expired = links.create_link(
            session, "confirm_value", stakeholder_id=cast.stakeholder1.id,
            account_id=cast.account1.id, payload={"entry_ids": [arranged["mine"].id]},
            max_age=timedelta(seconds=-5))
        revoked_link, revoked = links.create_link(
            session, "confirm_value", stakeholder_id=cast.stakeholder1.id,
            account_id=cast.account1.id, payload={"entry_ids": [arranged["mine"].id]})
        links.revoke_link(session, revoked_link)
        _pulse_link, pulse = links.create_link(session, "pulse",
                                               stakeholder_id=cast.stakeholder1.id,
                                               account_id=cast.account1.id)
        session.commit()
    response = client.get(f"/l/confirm/{expired}")
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert client.get(f"/l/confirm/{revoked}").status_code == 410
    tampered = pulse[:-3] + ("AAA" if not pulse.endswith("AAA") else "BBB")
    response = client.get(f"/l/pulse/{tampered}")
    assert response.status_code == 404 and "does not work" in response.get_data(as_text=True)
    assert client.get(f"/l/confirm/{pulse}").status_code == 404  # pulse token, confirm page
    assert client.get("/l/confirm/not-a-token").status_code == 404
    assert client.get(f"/l/pulse/{pulse}").status_code == 200


def test_unreachable_stakeholders_get_no_link(app: Any, session: Any, cast: Any,
                                              arranged: dict, login_as: Any) -> None:
    gone = make_stakeholder(session, cast.account1, "Olga Optout", opted_out_at=utcnow())
    left = make_stakeholder(session, cast.account1, "Lars Left", left_company_at=utcnow())
    nomail = make_stakeholder(session, cast.account1, "Nora Nomail", email=None)
    session.commit()
    am = login_as(cast.am1)
    form = am.get(f"/accounts/{cast.account1.slug}/value/links/new").get_data(as_text=True)
    assert "Olga Optout — opted out" in form
    assert f'value="{gone.id}"' not in form
    for person in (gone, left, nomail):
        response = am.post(f"/accounts/{cast.account1.slug}/value/links/new", data={
            "stakeholder_id": str(person.id), "purpose": "pulse", "scope": "concerning"})
        assert response.status_code == 200 and "Link sent" not in response.get_data(as_text=True)
        with app.test_request_context(), pytest.raises(domain.OutreachError):
            domain.send_link(session, account=cast.account1, stakeholder=person,
                             purpose="pulse")
    assert _outbox(app) == []
    assert session.exec(select(AccessLink)).all() == []


def test_nothing_to_confirm_says_so(app: Any, session: Any, cast: Any, login_as: Any) -> None:
    response = login_as(cast.am1).post(
        f"/accounts/{cast.account1.slug}/value/links/new",
        data={"stakeholder_id": str(cast.stakeholder1.id), "purpose": "confirm_value",
              "scope": "concerning"})
    assert "no value to confirm" in response.get_data(as_text=True)
    # QA: the message says what to do (a new user logs value without beneficiaries first)
    assert "Add them as a beneficiary" in response.get_data(as_text=True)
    assert _outbox(app) == []


def test_link_stops_working_when_stakeholder_opts_out(app: Any, session: Any, cast: Any,
                                                      arranged: dict, login_as: Any,
                                                      client: Any) -> None:
    path = _send(app, login_as(cast.am1), cast, cast.stakeholder1.id)
    cast.stakeholder1.opted_out_at = utcnow()
    session.add(cast.stakeholder1)
    session.commit()
    assert client.get(path).status_code == 410


PULSE = {"satisfaction": "5", "repurchase_intent": "probably", "recommend": "9",
         "positive_emotion": "y", "emotion_text": "You called before we noticed the outage.",
         "comment": "Keep it up"}


def test_pulse_link_end_to_end(app: Any, session: Any, cast: Any, login_as: Any,
                               client: Any) -> None:
    am = login_as(cast.am1)
    path = _send(app, am, cast, cast.stakeholder1.id, purpose="pulse")
    assert "/l/pulse/" in path
    page = client.get(path).get_data(as_text=True)
    assert "Carol Buyer" in page and "Most important" in page
    ranked = ranking("customer_experience", "risk_reduction")
    ranks = {f"rank_{i + 1}": d for i, d in enumerate(ranked)}
    bad = client.post(path, data={**PULSE, **ranks, "rank_2": "customer_experience"})
    assert bad.status_code == 200 and "only one place" in bad.get_data(as_text=True)
    incomplete = client.post(path, data={**PULSE, **ranks, "rank_3": ""})
    assert "Choose your top three value drivers" in incomplete.get_data(as_text=True)
    no_score = client.post(path, data={**PULSE, **ranks, "recommend": ""})
    assert "Choose 0 to 10" in no_score.get_data(as_text=True)
    assert session.exec(select(LoyaltyPulse)).all() == []

    response = client.post(path, data={**PULSE, **ranks})
    assert response.status_code == 302
    pulse = session.exec(select(LoyaltyPulse)).one()
    assert (pulse.satisfaction, pulse.recommend, pulse.repurchase_intent) == (5, 9, "probably")
    assert pulse.positive_emotion and pulse.driver_ranking == ranked
    assert pulse.method == "link" and pulse.stakeholder_id == cast.stakeholder1.id
    assert client.post(path, data={**PULSE, **ranks}).status_code == 410

    # History is kept: a second pulse does not overwrite the first; the latest one counts.
    path2 = _send(app, am, cast, cast.stakeholder1.id, purpose="pulse")
    client.post(path2, data={**PULSE, **ranks, "recommend": "3", "satisfaction": "2"})
    assert len(session.exec(select(LoyaltyPulse)).all()) == 2
    assert domain.loyalty(session, account_ids=[cast.account1.id]).detractors == 1
    page = am.get(f"/accounts/{cast.account1.slug}/value/pulses").get_data(as_text=True)
    assert page.count("Carol Buyer") == 2


def test_public_pages_need_csrf(app_config: dict, session: Any, cast: Any,
                                arranged: dict) -> None:
    from valuetracker import create_app

    csrf_app = create_app(dict(app_config, WTF_CSRF_ENABLED=True))
    with csrf_app.test_request_context():
        _link, token = links.create_link(session, "pulse", stakeholder_id=cast.stakeholder1.id,
                                         account_id=cast.account1.id)
        session.commit()
    client = csrf_app.test_client()
    assert client.post(f"/l/pulse/{token}", data=PULSE).status_code == 400
    assert session.exec(select(LoyaltyPulse)).all() == []
    csrf_app.extensions["valuetracker.engine"].dispose()


def test_public_pages_are_rate_limited(app_config: dict, session: Any, cast: Any) -> None:
    from valuetracker import create_app

    limited = create_app(dict(app_config, PUBLIC_RATE_LIMIT="3 per minute"))
    client = limited.test_client()
    codes = [client.get("/l/confirm/nonsense").status_code for _ in range(5)]
    assert codes[:3] == [404, 404, 404] and codes[-1] == 429
    limited.extensions["valuetracker.engine"].dispose()


def test_team_withdraws_a_link(app: Any, session: Any, cast: Any, arranged: dict,
                               login_as: Any, client: Any) -> None:
    am = login_as(cast.am1)
    path = _send(app, am, cast, cast.stakeholder1.id)
    page = am.get(f"/accounts/{cast.account1.slug}/value").get_data(as_text=True)
    assert "Links waiting for an answer" in page
    link = session.exec(select(AccessLink)).one()
    url = f"/accounts/{cast.account1.slug}/value/links/{link.id}/revoke"
    assert login_as(cast.am2).post(url).status_code == 404
    assert login_as(cast.leader).post(url).status_code == 403
    assert am.post(url).status_code == 302
    response = client.get(path)
    assert response.status_code == 410 and "withdrawn" in response.get_data(as_text=True)
    page = am.get(f"/accounts/{cast.account1.slug}/value").get_data(as_text=True)
    assert "Links waiting for an answer" not in page


def test_mail_server_down_records_nothing(app: Any, session: Any, cast: Any, arranged: dict,
                                          login_as: Any) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on: a real refused connection
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    response = login_as(cast.am1).post(f"/accounts/{cast.account1.slug}/value/links/new", data={
        "stakeholder_id": str(cast.stakeholder1.id), "purpose": "pulse", "scope": "concerning"})
    assert response.status_code == 200
    assert "could not be sent" in response.get_data(as_text=True)
    assert session.exec(select(AccessLink)).all() == []


def test_link_email_over_smtp(app: Any, session: Any, cast: Any, arranged: dict,
                              login_as: Any) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    received: list[bytes] = []

    class Handler(Sink):
        async def handle_DATA(self, server: Any, smtp_session: Any, envelope: Any) -> str:
            received.append(envelope.content)
            return "250 OK"

    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        response = login_as(cast.am1).post(
            f"/accounts/{cast.account1.slug}/value/links/new",
            data={"stakeholder_id": str(cast.stakeholder1.id), "purpose": "confirm_value",
                  "scope": "concerning"})
        assert "Link sent" in response.get_data(as_text=True)
    finally:
        controller.stop()
    assert len(received) == 1 and b"/l/confirm/" in received[0]
    assert _outbox(app) == []
