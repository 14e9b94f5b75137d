"""Unsubscribing from the link in a real mail: the page's button, the mail client's
one-click POST (RFC 8058, no CSRF token), what the team then sees, and bad tokens."""

from __future__ import annotations

import email.message
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from valuetracker import create_app
from valuetracker.links import create_link, unsubscribe_token
from valuetracker.models import OPT_OUT_LINK, AuditEvent, Distribution, Stakeholder, utcnow
from valuetracker.quarters import parse_quarter
from valuetracker.summaries.generate import generate_one
from valuetracker.summaries.send import send_summary

from .conftest import Inbox
from .rendered import rendered_forms

PAGE_LINK = re.compile(r"http://127\.0\.0\.1:5000(/l/unsubscribe/[^/\s]+)$", re.M)


def _send_summary(app: Flask, session: Session, person: Stakeholder,
                  quarter: str = "2026-Q3") -> Distribution:
    with app.app_context():
        summary = generate_one(session, account_id=person.account_id, stakeholder_id=person.id,
                               quarter=parse_quarter(quarter), variant="stakeholder")
        session.commit()
        return send_summary(session, summary)


def _links(msg: email.message.EmailMessage) -> tuple[str, str]:
    """The page link shown in the mail (text part, the same in the HTML part) and the
    one-click address of its List-Unsubscribe header, as paths."""
    text = msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = msg.get_body(preferencelist=("html",)).get_content()
    (page,) = PAGE_LINK.findall(text)
    assert f'href="http://127.0.0.1:5000{page}"' in html
    header = str(msg["List-Unsubscribe"])
    assert header == f"<http://127.0.0.1:5000{page}/one-click>"
    return page, f"{page}/one-click"


def _button(html: str) -> Any:
    """The page's one POST form (the Unsubscribe button), as the browser would send it."""
    (form,) = [f for f in rendered_forms(html) if f.method == "post"]
    assert "<button class=\"btn btn-primary\" type=\"submit\">Unsubscribe</button>" in html
    return form


def _opt_out_events(session: Session, person: Stakeholder) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(
        AuditEvent.action == "opt_out", AuditEvent.entity_id == str(person.id))).all())


def test_the_button_on_the_page_from_a_real_mail_opts_out(
        smtp: Inbox, app: Flask, session: Session, cast: Any, client: FlaskClient,
        login_as: Any) -> None:
    carol = cast.stakeholder1
    assert _send_summary(app, session, carol).status == "sent"
    page, _one_click = _links(smtp.messages[-1][1])

    shown = client.get(page)
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert "Unsubscribe from valuetracker&#39;s e-mails?" in html
    assert "Hello Carol Buyer" in html and carol.email in html and "Acme Corp" in html
    session.expire_all()
    assert session.get(Stakeholder, carol.id).opted_out_at is None  # the GET changed nothing
    form = _button(html)
    assert form.action == page
    done = client.post(form.action, data=form.data())
    assert done.status_code == 302 and done.headers["Location"] == page

    session.expire_all()
    person = session.get(Stakeholder, carol.id)
    assert person.opted_out_at is not None and person.opted_out_via == OPT_OUT_LINK
    (event,) = _opt_out_events(session, person)
    assert event.entity == "stakeholder" and event.user_id is None
    assert event.details == {"opted_out": [False, True], "through": "link"}
    assert "through the unsubscribe link" in event.summary

    again = client.get(page).get_data(as_text=True)
    assert "You are unsubscribed" in again
    assert f"(unsubscribed on {person.opted_out_at:%Y-%m-%d})" in again
    assert "<form method=\"post\"" not in again

    # The team sees it on the person's page and in the audit trail.
    profile = login_as(cast.am1).get(f"/stakeholders/{carol.id}").get_data(as_text=True)
    assert (f'<dd id="opted-out">on {person.opted_out_at:%Y-%m-%d} via the unsubscribe link '
            "in our e-mail</dd>") in profile
    trail = login_as(cast.admin).get("/admin/audit?object=stakeholder").get_data(as_text=True)
    assert "stakeholder Carol Buyer opted out through the unsubscribe link" in trail

    # Later summaries skip her; nothing more reaches her.
    assert len(smtp.messages) == 1
    skipped = _send_summary(app, session, person, "2026-Q4")
    assert (skipped.status, skipped.error) == ("skipped", "opted out")
    assert len(smtp.messages) == 1


def test_opting_back_in_and_out_again_says_how_each_time(
        app: Flask, session: Session, cast: Any, client: FlaskClient, login_as: Any) -> None:
    carol = cast.stakeholder1
    with app.app_context():
        page = f"/l/unsubscribe/{unsubscribe_token(carol.id)}"
    form = _button(client.get(page).get_data(as_text=True))
    client.post(form.action, data=form.data())
    am1 = login_as(cast.am1)
    am1.post(f"/stakeholders/{carol.id}/flags/opted_out", data={"on": "0"})
    session.expire_all()
    person = session.get(Stakeholder, carol.id)
    assert person.opted_out_at is None and person.opted_out_via is None
    am1.post(f"/stakeholders/{carol.id}/flags/opted_out", data={"on": "1"})
    profile = am1.get(f"/stakeholders/{carol.id}").get_data(as_text=True)
    assert "via the unsubscribe link" not in profile  # the team marked her this time
    assert re.search(r'<dd id="opted-out">on \d{4}-\d\d-\d\d</dd>', profile)


@pytest.fixture
def csrf_app(app: Flask, app_config: dict[str, Any]) -> Iterator[Flask]:
    """The app with CSRF protection on, as in production (the same database)."""
    protected = create_app(dict(app_config, WTF_CSRF_ENABLED=True))
    yield protected
    protected.extensions["valuetracker.engine"].dispose()


def test_one_click_post_works_without_csrf_where_the_page_needs_it(
        smtp: Inbox, app: Flask, csrf_app: Flask, session: Session, cast: Any) -> None:
    carol = cast.stakeholder1
    _send_summary(app, session, carol)
    page, one_click = _links(smtp.messages[-1][1])
    client = csrf_app.test_client()

    # The page's own POST needs its CSRF token (a forged form from elsewhere fails)...
    refused = client.post(page, data={})
    assert refused.status_code == 400 and "The form expired" in refused.get_data(as_text=True)
    # ...a POST to the one-click address that is not a one-click request is refused...
    assert client.post(one_click, data={"List-Unsubscribe": "Yes"}).status_code == 400
    session.expire_all()
    assert session.get(Stakeholder, carol.id).opted_out_at is None
    # ...and the mail client's one-click POST (RFC 8058) opts out, no token, no cookie.
    response = client.post(one_click, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "You are unsubscribed" in response.get_data(
        as_text=True)
    session.expire_all()
    person = session.get(Stakeholder, carol.id)
    assert person.opted_out_at is not None and person.opted_out_via == OPT_OUT_LINK
    assert len(_opt_out_events(session, person)) == 1
    # A client that sends it twice: still fine, still one event.
    assert client.post(one_click, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert len(_opt_out_events(session, person)) == 1
    # A GET of the header's address (a client without one-click) shows the page.
    opened = client.get(one_click)
    assert opened.status_code == 302 and opened.headers["Location"] == page

    # With a valid token the page's button works under CSRF too (another person).
    erin = Stakeholder(account_id=cast.account1.id, name="Erin Other", email="erin@acme.example")
    session.add(erin)
    session.commit()
    with app.app_context():
        erin_page = f"/l/unsubscribe/{unsubscribe_token(erin.id)}"
    form = _button(client.get(erin_page).get_data(as_text=True))
    assert form.value("csrf_token")
    assert client.post(form.action, data=form.data()).status_code == 302
    session.expire_all()
    assert session.get(Stakeholder, erin.id).opted_out_at is not None


def test_forged_or_garbled_tokens_get_a_clear_page_never_a_500(
        app: Flask, session: Session, cast: Any, client: FlaskClient) -> None:
    with app.app_context():
        good = unsubscribe_token(cast.stakeholder1.id)
        _link, confirm = create_link(session, "confirm_value", stakeholder_id=cast.stakeholder1.id,
                                     account_id=cast.account1.id, payload={"entry_ids": []})
        session.commit()
        from itsdangerous import URLSafeSerializer

        ours = URLSafeSerializer(app.config["SECRET_KEY"], salt="valuetracker.unsubscribe")
        strange = [ours.dumps(value) for value in ({"u": "1"}, {"u": 2**40}, {"u": True},
                                                    [1], {"u": 0})]
        nobody = ours.dumps({"u": 999999})
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for token in ["garbage", tampered, confirm, "a" * 500, good + ".x", *strange]:
        for path in (f"/l/unsubscribe/{token}", f"/l/unsubscribe/{token}/one-click"):
            get = client.get(path, follow_redirects=True)
            assert get.status_code == 404, (path, get.status_code)
            assert "This link does not work" in get.get_data(as_text=True)
            post = client.post(path, data={"List-Unsubscribe": "One-Click"})
            assert post.status_code == 404, (path, post.status_code)
    session.expire_all()
    assert session.get(Stakeholder, cast.stakeholder1.id).opted_out_at is None
    # Genuine, but the person is not on file (any more): nothing to stop, a calm page.
    for path in (f"/l/unsubscribe/{nobody}", f"/l/unsubscribe/{nobody}/one-click"):
        response = client.post(path, data={"List-Unsubscribe": "One-Click"},
                               follow_redirects=True)
        assert response.status_code == 200
        assert "You are not on our list" in response.get_data(as_text=True)


def test_already_opted_out_or_erased_people_get_a_friendly_page(
        app: Flask, session: Session, cast: Any, client: FlaskClient, login_as: Any) -> None:
    carol, dan = cast.stakeholder1, cast.stakeholder2
    carol.opted_out_at = utcnow()
    session.add(carol)
    session.commit()
    with app.app_context():
        carol_page = f"/l/unsubscribe/{unsubscribe_token(carol.id)}"
        dan_page = f"/l/unsubscribe/{unsubscribe_token(dan.id)}"
    for response in (client.get(carol_page), client.post(carol_page, data={}),
                     client.post(f"{carol_page}/one-click",
                                 data={"List-Unsubscribe": "One-Click"})):
        assert response.status_code == 200
        assert "You are unsubscribed" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Stakeholder, carol.id).opted_out_via is None  # the team's mark stays
    assert _opt_out_events(session, carol) == []

    assert login_as(cast.am2).post(f"/stakeholders/{dan.id}/erase",
                                   data={"confirm": "y"}).status_code == 302
    page = client.get(dan_page)
    assert page.status_code == 200 and "You are not on our list" in page.get_data(as_text=True)
    assert "Dan" not in page.get_data(as_text=True)


def test_an_import_that_changes_the_mark_drops_the_link_as_its_source(
        app: Flask, session: Session, cast: Any, runner: Any, tmp_path: Any) -> None:
    from valuetracker.stakeholders import opt_out_by_link

    from .conftest import run_import
    from .factories.csv_files import write_csv

    carol = cast.stakeholder1
    with app.app_context():
        assert opt_out_by_link(session, carol)
        assert not opt_out_by_link(session, carol)  # twice: nothing more
    session.commit()
    header = ("account", "name", "email", "opted_out")
    kept = write_csv(tmp_path / "kept.csv", header, [("Acme Corp", carol.name, carol.email, "yes")])
    assert "unchanged" in run_import(runner, "stakeholders", kept).output
    session.expire_all()
    assert session.get(Stakeholder, carol.id).opted_out_via == OPT_OUT_LINK  # same mark
    dated = write_csv(tmp_path / "dated.csv", header,
                      [("Acme Corp", carol.name, carol.email, "2026-01-05")])
    assert "1 updated" in run_import(runner, "stakeholders", dated).output
    session.expire_all()
    person = session.get(Stakeholder, carol.id)
    assert f"{person.opted_out_at:%Y-%m-%d}" == "2026-01-05" and person.opted_out_via is None


@pytest.mark.parametrize("meanwhile", ["edit", "opt_out"])
def test_a_change_in_between_never_loses_the_press(app: Flask, session: Session, cast: Any,
                                                   client: FlaskClient, monkeypatch: Any,
                                                   meanwhile: str) -> None:
    """Between loading the person and saving, the team edits them (the button asks to be
    pressed again, 409) or a second request (a mail client retrying) opts them out (done)."""
    import sqlalchemy as sa

    from valuetracker.views import public

    carol = cast.stakeholder1
    engine = app.extensions["valuetracker.engine"]
    real = public.opt_out_by_link

    def racing(db: Session, person: Stakeholder) -> bool:
        values: dict[str, Any] = {"version": Stakeholder.version + 1}
        if meanwhile == "opt_out":
            values["opted_out_at"] = utcnow()
        with engine.begin() as other:  # another transaction, committed first
            other.execute(sa.update(Stakeholder).where(Stakeholder.id == person.id)
                          .values(**values))
        return real(db, person)

    monkeypatch.setattr(public, "opt_out_by_link", racing)
    with app.app_context():
        page = f"/l/unsubscribe/{unsubscribe_token(carol.id)}"
    form = _button(client.get(page).get_data(as_text=True))
    response = client.post(form.action, data=form.data())
    html = response.get_data(as_text=True)
    session.expire_all()
    person = session.get(Stakeholder, carol.id)
    assert _opt_out_events(session, person) == []
    if meanwhile == "edit":
        assert response.status_code == 409 and "press the button again" in html
        assert person.opted_out_at is None
        monkeypatch.setattr(public, "opt_out_by_link", real)
        assert client.post(form.action, data=_button(html).data()).status_code == 302
        session.expire_all()
        assert session.get(Stakeholder, carol.id).opted_out_via == OPT_OUT_LINK
    else:
        assert response.status_code == 200 and "You are unsubscribed" in html
        assert person.opted_out_at is not None
