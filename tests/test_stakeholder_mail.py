"""Mail to stakeholders as the customer receives it (stakeholder_mail.compose): who it is
from, whom a reply reaches, who signs it, its text and HTML parts, the logo, the
attachment's name and the unsubscribe headers, through a real SMTP server on loopback."""

from __future__ import annotations

import email.message
import io
import re
from email.headerregistry import Address
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlmodel import Session

from valuetracker import mail
from valuetracker.links import unsubscribe_stakeholder_id
from valuetracker.models import Account
from valuetracker.quarters import parse_quarter
from valuetracker.stakeholder_mail import attachment_name, readable_on, text_blocks
from valuetracker.summaries.branding import Branding, save_branding, store_logo
from valuetracker.summaries.generate import generate_one
from valuetracker.summaries.send import send_summary

from .conftest import Inbox
from .rendered import page_form

BRAND = "#0f766e"
UNSUBSCRIBE = re.compile(r"^<(http://127\.0\.0\.1:5000/l/unsubscribe/([^/>]+)/one-click)>$")


def _brand(app: Flask, session: Session, *, logo: bool = True) -> None:
    """Branding "Vendor Co" in teal, with a PNG logo."""
    with app.app_context():
        name = None
        if logo:
            buffer = io.BytesIO()
            Image.new("RGB", (120, 30), BRAND).save(buffer, "PNG")
            name = store_logo(buffer.getvalue())
        save_branding(session, Branding("Vendor Co", BRAND, name))
    session.commit()


def _send_summary(app: Flask, session: Session, person: Any, quarter: str = "2026-Q3") -> None:
    with app.app_context():
        summary = generate_one(session, account_id=person.account_id, stakeholder_id=person.id,
                               quarter=parse_quarter(quarter), variant="stakeholder")
        session.commit()
        assert send_summary(session, summary).status == "sent"


def _text(msg: email.message.EmailMessage) -> str:
    # SMTP delivers CRLF line ends; compare as lines.
    return msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def _html(msg: email.message.EmailMessage) -> str:
    return msg.get_body(preferencelist=("html",)).get_content()


def _assert_identity(app: Flask, msg: email.message.EmailMessage, person: Any, *,
                     owner: Any) -> None:
    """From the company at the sender address, Reply-To and signature by the owner, both
    parts, the unsubscribe headers naming this person."""
    (sender,) = msg["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Vendor Co", "valuetracker@localhost")
    (reply_to,) = msg["Reply-To"].addresses
    assert (reply_to.display_name, reply_to.addr_spec) == (owner.name, owner.email)
    assert msg["To"] == person.email
    text = _text(msg)
    assert f"\n{owner.name}\nAccount Director, Vendor Co\n{owner.email}\n" in text
    html = _html(msg)
    assert f"<strong>{owner.name}</strong>" in html and "Account Director, Vendor Co" in html
    match = UNSUBSCRIBE.match(str(msg["List-Unsubscribe"]))
    assert match, msg["List-Unsubscribe"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with app.app_context():
        assert unsubscribe_stakeholder_id(match.group(2)) == person.id
    visible = match.group(1).removesuffix("/one-click")
    assert visible in text and f'href="{visible}"' in html


def test_summary_mail_as_the_customer_receives_it(smtp: Inbox, app: Flask, session: Session,
                                                  cast: Any) -> None:
    cast.am1.title = "Account Director"
    cast.account1.name = "Acme Robotics"
    cast.stakeholder1.name = "Grace Hopper"
    session.add_all([cast.am1, cast.account1, cast.stakeholder1])
    session.commit()
    _brand(app, session)
    _send_summary(app, session, cast.stakeholder1)

    ((recipients, msg),) = smtp.messages
    assert recipients == [cast.stakeholder1.email]
    _assert_identity(app, msg, cast.stakeholder1, owner=cast.am1)
    assert msg.get_content_type() == "multipart/mixed"
    text = _text(msg)
    assert text.startswith("Dear Grace Hopper,\n\nAttached is your value summary for 2026-Q3")
    assert "just reply to this message.\n\nBest regards,\nAlice Manager\n" in text
    assert "You receive this e-mail as a contact of Vendor Co at Acme Robotics." in text

    html = _html(msg)
    assert f"border-top:4px solid {BRAND}" in html
    assert "<p style=\"margin:0 0 14px 0;\">Dear Grace Hopper,</p>" in html
    # The logo travels inside the mail: its <img> names the related part's Content-ID.
    (src,) = re.findall(r'<img src="([^"]+)"', html)
    logo = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    assert src == "cid:" + logo["Content-ID"].strip("<>")
    assert logo.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r'src="https?:', html)

    (attachment,) = msg.iter_attachments()
    assert attachment.get_filename() == "acme-robotics-value-summary-2026-Q3-grace-hopper.pdf"
    assert attachment.get_content()[:5] == b"%PDF-"


def test_confirm_and_pulse_mails_share_the_identity(smtp: Inbox, app: Flask, session: Session,
                                                    cast: Any, login_as: Any) -> None:
    """Sent from the page's form by an admin: the account's owner still signs and gets
    the replies; the action is a button in the brand's colour."""
    from .factories import make_entry

    cast.am1.title = "Account Director"
    session.add(cast.am1)
    make_entry(session, cast.account1, beneficiaries=(cast.stakeholder1,))
    session.commit()
    _brand(app, session, logo=False)
    admin = login_as(cast.admin)
    url = f"/accounts/{cast.account1.slug}/value/links/new"
    for purpose, label in (("confirm_value", "Review what we delivered"),
                           ("pulse", "Answer five short questions")):
        form = page_form(admin, url, having="purpose")
        response = admin.post(url, data=form.data(stakeholder_id=str(cast.stakeholder1.id),
                                                  purpose=purpose))
        assert "Link sent" in response.get_data(as_text=True)
        _recipients, msg = smtp.messages[-1]
        _assert_identity(app, msg, cast.stakeholder1, owner=cast.am1)
        link = re.search(r"http://\S+/l/(?:confirm|pulse)/\S+", _text(msg))
        assert link, _text(msg)
        html = _html(msg)
        button = re.search(r'<td style="background-color:([^;]+);[^"]*"><a href="([^"]+)" '
                           r'style="[^"]*color:([^;]+);[^"]*">([^<]+)</a>', html)
        assert button and button.groups() == (BRAND, link.group(0), "#ffffff", label)
        # No logo set: the company's name stands in the header, no image at all.
        assert "<img" not in html and f'color:{BRAND};">Vendor Co</span>' in html
        assert "Thank you,\nAlice Manager\nAccount Director, Vendor Co\n" in _text(msg)
    assert len(smtp.messages) == 2


def test_without_an_active_owner_the_sender_or_the_team_signs(
        smtp: Inbox, app: Flask, session: Session, cast: Any) -> None:
    """An inactive owner's mailbox may be gone: the user sending the link signs it; a
    summary (sent by a job, nobody in particular) is from "your account team", with no
    Reply-To (replies then reach the sender address)."""
    from valuetracker.value.outreach import send_link

    cast.am1.active = False
    session.add(cast.am1)
    session.commit()
    _brand(app, session, logo=False)
    with app.test_request_context():
        send_link(session, account=cast.account1, stakeholder=cast.stakeholder1,
                  purpose="pulse", user=cast.admin)
        session.commit()
    _recipients, msg = smtp.messages[-1]
    assert msg["Reply-To"].addresses[0].addr_spec == cast.admin.email
    assert "Thank you,\nAda Admin\nVendor Co\nadmin@example.com\n" in _text(msg)

    _send_summary(app, session, cast.stakeholder1)
    _recipients, msg = smtp.messages[-1]
    assert msg["Reply-To"] is None
    assert "Best regards,\nYour account team at Vendor Co\n" in _text(msg)


def test_an_admins_text_stays_text_in_the_html_part(smtp: Inbox, app: Flask, session: Session,
                                                    cast: Any) -> None:
    from valuetracker.models import Setting

    session.add(Setting(key="summary_email_template",
                        value="Hi $first_name <b>&</b>\nline two\n\nhttps://example.com/x?a=1&b=2"
                              "\n\nCheers, $sender ($sender_title)"))
    cast.am1.title = "Head of Accounts"
    session.add(cast.am1)
    session.commit()
    _send_summary(app, session, cast.stakeholder1)
    _recipients, msg = smtp.messages[-1]
    html = _html(msg)
    assert "Hi Carol &lt;b&gt;&amp;&lt;/b&gt;<br>line two</p>" in html
    assert '<a href="https://example.com/x?a=1&amp;b=2"' in html  # a link, not a button
    assert "Cheers, Alice Manager (Head of Accounts)" in html
    assert "<b>" not in html
    assert _text(msg).startswith("Hi Carol <b>&</b>\nline two\n\nhttps://example.com/x?a=1&b=2")


def test_a_sender_setting_with_a_name_keeps_its_address(app: Flask, session: Session,
                                                        cast: Any) -> None:
    app.config["MAIL_SENDER"] = "Ops Robot <ops@vendor.example>"
    with app.test_request_context():
        from valuetracker.stakeholder_mail import compose

        built = mail.build(compose(session, account=cast.account1, stakeholder=cast.stakeholder1,
                                   subject="Hello", text="Hi.", manager=cast.am1))
    assert built["From"].addresses == (Address("valuetracker", addr_spec="ops@vendor.example"),)
    assert built["Message-ID"].endswith("@vendor.example>")
    assert built["Reply-To"].addresses == (Address("Alice Manager",
                                                   addr_spec="am1@example.com"),)
    # A long List-Unsubscribe stays one readable line (no encoded words).
    (line,) = [x for x in bytes(built).split(b"\n") if x.startswith(b"List-Unsubscribe:")]
    assert re.fullmatch(rb"List-Unsubscribe: <http://127\.0\.0\.1:5000/l/unsubscribe/\S+>", line)


def test_attachment_name() -> None:
    account = Account(name="Acme Robotics, Inc.", slug="x")
    from valuetracker.models import Stakeholder

    person = Stakeholder(account_id=1, name="Grace Hopper-Ñúñez")
    assert attachment_name(account, person, "2026-Q3") == \
        "acme-robotics-inc-value-summary-2026-Q3-grace-hopper-nunez.pdf"
    assert attachment_name(account, None, "2026-Q3") == \
        "acme-robotics-inc-value-summary-2026-Q3.pdf"


@pytest.mark.parametrize(("color", "text"), [("#0f766e", "#ffffff"), ("#1d4ed8", "#ffffff"),
                                             ("#facc15", "#111111"), ("#ffffff", "#111111")])
def test_button_text_reads_on_the_brand_colour(color: str, text: str) -> None:
    assert readable_on(color) == text


def test_text_blocks_split_paragraphs_and_links() -> None:
    from valuetracker.stakeholder_mail import Action, Block

    blocks = text_blocks("Hello,\r\n\r\nRead this:\nhttps://a.example/l/1\n  \nBye,",
                         Action("https://a.example/l/1", "Open"))
    assert blocks == [Block(lines=("Hello,",)), Block(lines=("Read this:",)),
                      Block(url="https://a.example/l/1", label="Open", button=True),
                      Block(lines=("Bye,",))]


def test_the_title_set_on_the_user_forms_signs_the_mail(smtp: Inbox, app: Flask,
                                                        session: Session, cast: Any,
                                                        login_as: Any) -> None:
    """Admin → Users: the title typed in the edit form (as the page renders it) signs the
    owner's mail; a new user's form takes one too; a line break is refused."""
    from valuetracker.models import User
    from valuetracker.users import find_user

    admin = login_as(cast.admin)
    edit = f"/admin/users/{cast.am1.id}/edit"
    form = page_form(admin, edit)
    assert form.value("title") == ""
    refused = admin.post(edit, data=form.data(title="Head of\nAccounts"))
    assert refused.status_code == 200 and "single line" in refused.get_data(as_text=True)
    assert admin.post(edit, data=form.data(title="  Head of Accounts ")).status_code == 302
    session.expire_all()
    assert session.get(User, cast.am1.id).title == "Head of Accounts"
    assert page_form(admin, edit).value("title") == "Head of Accounts"

    new = page_form(admin, "/admin/users/new", having="password")
    created = admin.post("/admin/users/new", data=new.data(
        email="nia@vendor.example", name="Nia New", title="Account Executive",
        password="a long enough passphrase 42"))
    assert created.status_code == 302
    assert find_user(session, "nia@vendor.example").title == "Account Executive"

    _send_summary(app, session, cast.stakeholder1)
    _recipients, msg = smtp.messages[-1]
    assert "Best regards,\nAlice Manager\nHead of Accounts, valuetracker\n" in _text(msg)


def test_create_user_takes_a_title_on_the_command_line(runner: Any, session: Session) -> None:
    from valuetracker.users import find_user

    result = runner.invoke(args=["create-user", "cli@vendor.example", "--name", "Cli User",
                                 "--title", "Key Account Manager"],
                           input="a long enough passphrase 42\n")
    assert result.exit_code == 0, result.output
    assert find_user(session, "cli@vendor.example").title == "Key Account Manager"
