"""The web import wizard end to end, and who may use it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from valuetracker.models import Account, AuditEvent, Deal, Stakeholder

from .factories.csv_files import csv_bytes


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    app_config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app_config


def upload(client: Any, kind: str, content: bytes, name: str = "export.csv") -> Any:
    return client.post("/import/", data={"kind": kind, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def token_of(response: Any) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].split("/")[-2]


def test_wizard_end_to_end(login_as: Any, cast: Any, session: Any, tmp_path: Path) -> None:
    client = login_as(cast.admin)
    assert client.get("/import/").status_code == 200
    content = csv_bytes(["Company", "Tier", "Renewal", "Colour"], [
        ["Initech", "Key", "03/04/2026", "blue"], ["Umbrella", "gold", "05/06/2026", "red"]])
    token = token_of(upload(client, "accounts", content))
    uploads = list((tmp_path / "uploads").iterdir())
    assert {p.name for p in uploads} == {f"{token}.csv", f"{token}.json"}

    page = client.get(f"/import/{token}/map").get_data(as_text=True)
    assert "Company" in page and "Initech" in page
    assert '<option selected value="tier">' in page  # pre-filled by name

    form = {"col_0": "name", "col_1": "tier", "col_2": "renewal_date", "col_3": "ignore",
            "date_format": "", "value_map": ""}
    # Unmapped required field: the form re-renders with the problem.
    page = client.post(f"/import/{token}/map", data={**form, "col_0": "ignore"})
    assert page.status_code == 200
    assert "Required column" in page.get_data(as_text=True)

    response = client.post(f"/import/{token}/map", data=form)
    assert response.headers["Location"].endswith(f"/import/{token}/preview")
    # Ambiguous dates: back on the mapping page, asking for the format.
    page = client.get(f"/import/{token}/preview").get_data(as_text=True)
    assert "--date-format" in page and "needs-date-format" in page

    client.post(f"/import/{token}/map", data={**form, "date_format": "%m/%d/%Y"})
    page = client.get(f"/import/{token}/preview").get_data(as_text=True)
    assert "1 error in 1 row" in page
    assert "<td>3</td><td>Tier</td>" in page and "is not one of" in page
    assert "Initech" in page  # first rows shown

    # Confirm without skipping: refused, nothing written.
    page = client.post(f"/import/{token}/run", data={}).get_data(as_text=True)
    assert "Nothing was imported" in page
    assert session.exec(select(Account).where(Account.name == "Initech")).first() is None

    response = client.post(f"/import/{token}/run", data={"skip_invalid": "y"})
    assert response.status_code == 302
    initech = session.exec(select(Account).where(Account.name == "Initech")).one()
    assert (initech.tier, initech.renewal_date.isoformat()) == ("key", "2026-03-04")
    # The data is deleted after the import; a marker answers a late second click.
    assert [p.name for p in (tmp_path / "uploads").iterdir()] == [f"{token}.imported"]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "import")).one()
    assert event.user_id == cast.admin.id and event.details["rejected"] == 1
    assert "1 created" in client.get("/import/").get_data(as_text=True)
    again = client.post(f"/import/{token}/run", data={"skip_invalid": "y"})
    assert again.status_code == 302 and again.headers["Location"].endswith("/import/")
    assert "This file was already imported" in client.get("/import/").get_data(as_text=True)
    assert login_as(cast.am1).post(f"/import/{token}/run", data={}).status_code == 404


def test_bad_file_rerenders_the_form(login_as: Any, cast: Any) -> None:
    client = login_as(cast.admin)
    page = upload(client, "accounts", "name\nCafé\n".encode("latin-1"))
    assert page.status_code == 200
    assert "not UTF-8" in page.get_data(as_text=True)
    page = client.post("/import/", data={"kind": "accounts"}, content_type="multipart/form-data")
    assert page.status_code == 200


def test_leaders_are_refused(login_as: Any, cast: Any) -> None:
    client = login_as(cast.leader)
    assert client.get("/import/").status_code == 403
    assert upload(client, "accounts", b"name\nX\n").status_code == 403


def test_kinds_by_role(login_as: Any, cast: Any) -> None:
    manager = login_as(cast.am1)
    assert upload(manager, "deals", b"outcome\nwon\n").status_code == 403
    analyst = login_as(cast.analyst)
    assert upload(analyst, "accounts", b"name\nX\n").status_code == 403
    assert upload(analyst, "stakeholders", b"name\nX\n").status_code == 403
    assert upload(analyst, "deals", b"outcome\nopen\n").status_code == 302


def test_uploads_belong_to_their_uploader(login_as: Any, cast: Any) -> None:
    token = token_of(upload(login_as(cast.am1), "accounts", b"name\nX\n"))
    other = login_as(cast.am2)
    assert other.get(f"/import/{token}/map").status_code == 404
    assert other.get(f"/import/{token}/preview").status_code == 404
    assert other.post(f"/import/{token}/run", data={}).status_code == 404
    assert other.get("/import/..%2F..%2Fetc%2Fpasswd/preview").status_code == 404


def run_wizard(client: Any, kind: str, content: bytes, skip: bool = False) -> tuple[Any, str]:
    token = token_of(upload(client, kind, content))
    preview = client.get(f"/import/{token}/preview").get_data(as_text=True)
    response = client.post(f"/import/{token}/run", data={"skip_invalid": "y"} if skip else {})
    return response, preview


def test_account_manager_scope_for_accounts(login_as: Any, cast: Any, session: Any) -> None:
    client = login_as(cast.am1)
    content = csv_bytes(["name", "tier", "owner_email"], [
        ["Acme Corp", "strategic", ""], ["Globex", "strategic", ""],
        ["Mine New", "key", ""], ["Theirs New", "key", "am2@example.com"]])
    response, preview = run_wizard(client, "accounts", content, skip=True)
    assert "<td>3</td><td>name</td><td>account not yours</td>" in preview
    assert "account managers can only import accounts they own" in preview
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Account, cast.account1.id).tier == "strategic"
    assert session.get(Account, cast.account2.id).tier == "key"
    mine = session.exec(select(Account).where(Account.name == "Mine New")).one()
    assert mine.owner_id == cast.am1.id


def test_account_manager_scope_for_stakeholders(login_as: Any, cast: Any, session: Any) -> None:
    client = login_as(cast.am1)
    content = csv_bytes(["account", "name"], [["Acme Corp", "Ok Person"],
                                              ["Globex", "Sneaky Person"]])
    response, preview = run_wizard(client, "stakeholders", content)
    assert 'no account named or with external id &#34;Globex&#34;' in preview
    assert response.status_code == 200  # all or nothing: refused
    names = set(session.exec(select(Stakeholder.name)).all())
    assert "Ok Person" not in names and "Sneaky Person" not in names


def test_analyst_imports_deals(login_as: Any, cast: Any, session: Any) -> None:
    client = login_as(cast.analyst)
    content = csv_bytes(["external_id", "account", "outcome", "closed_on"],
                        [["D-1", "Globex", "Closed Won", "2026-06-30"]])
    response, preview = run_wizard(client, "deals", content)
    assert "No errors" in preview and response.status_code == 302
    assert session.exec(select(Deal.outcome)).one() == "won"


def test_mapping_page_suggests_fields_for_common_crm_headers(login_as: Any, cast: Any) -> None:
    client = login_as(cast.analyst)
    content = csv_bytes(["Opportunity ID", "Stage", "Close Date", "ID", "Lead Source"],
                        [["O-1", "Won", "2026-01-05", "x", "Web"]])
    token = token_of(upload(client, "deals", content))
    page = client.get(f"/import/{token}/map").get_data(as_text=True)
    assert '<option selected value="external_id">' in page
    assert '<option selected value="outcome">' in page
    assert '<option selected value="closed_on">' in page
    # "ID" would also suggest external_id: the first column keeps it.
    assert page.count('<option selected value="external_id">') == 1


def test_unknown_outcome_words_are_mapped_in_the_wizard(login_as: Any, cast: Any,
                                                        session: Any) -> None:
    client = login_as(cast.analyst)
    content = csv_bytes(["external_id", "account", "outcome", "closed_on"],
                        [["D-1", "Globex", "Signed", "2026-06-30"]])
    token = token_of(upload(client, "deals", content))
    page = client.get(f"/import/{token}/preview").get_data(as_text=True)
    assert "Unknown outcome words: &#34;Signed&#34; (row 2)" in page
    form = {"col_0": "external_id", "col_1": "account", "col_2": "outcome", "col_3": "closed_on",
            "date_format": "", "value_map": "outcome:Nope"}
    page = client.post(f"/import/{token}/map", data=form).get_data(as_text=True)
    assert "should look like" in page
    client.post(f"/import/{token}/map", data={**form, "value_map": "outcome:signed=won"})
    assert "No errors" in client.get(f"/import/{token}/preview").get_data(as_text=True)
    assert client.post(f"/import/{token}/run", data={}).status_code == 302
    assert session.exec(select(Deal.outcome)).one() == "won"
