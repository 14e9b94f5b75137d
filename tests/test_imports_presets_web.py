"""The import wizard with a preset (every preset and kind, forms submitted as rendered),
and the pages that show an owner kept by name ("not a user"): deals and accounts."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from valuetracker.models import Account, Deal, Stakeholder

from .factories import make_account, make_deal
from .factories.csv_files import crm_sample
from .rendered import RenderedForm, page_form, rendered_forms


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    app_config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app_config


def _form(html: str, action_end: str) -> RenderedForm:
    forms = [f for f in rendered_forms(html) if f.method == "post"
             and f.action.endswith(action_end)]
    assert len(forms) == 1, [f.action for f in rendered_forms(html)]
    return forms[0]


def upload_as_rendered(client: Any, kind: str, preset: str, path: Path) -> str:
    """Upload `path` through the wizard's first page as it renders; the upload's map URL."""
    form = page_form(client, "/import/", having="preset")
    data = form.data(kind=kind, preset=preset)
    data.add("file", (io.BytesIO(path.read_bytes()), path.name))
    response = client.post(form.action, data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


EXPECTED = {  # (preset, kind) -> columns the map page pre-selects from the preset
    ("salesforce", "deals"): {"Opportunity Owner": "owner", "Stage": "outcome",
                              "Close Date": "closed_on", "Opportunity ID": "external_id",
                              "Lead Source": "ignore"},
    ("salesforce", "accounts"): {"Account Name": "name", "Account Owner": "owner",
                                 "Account ID": "external_id", "Type": "ignore"},
    ("salesforce", "stakeholders"): {"First Name + Last Name": "name", "First Name": "ignore",
                                     "Account Name": "account", "Email Opt Out": "opted_out"},
    ("hubspot", "deals"): {"Deal Name": "name", "Deal Stage": "outcome", "Deal owner": "owner",
                           "Associated Company": "account", "Record ID": "external_id"},
    ("hubspot", "accounts"): {"Company name": "name", "Company owner": "owner",
                              "Lifecycle Stage": "status"},
    ("hubspot", "stakeholders"): {"First Name + Last Name": "name", "Job Title": "title",
                                  "Associated Company": "account"},
}
CREATED = {"deals": (Deal, {"salesforce": 6, "hubspot": 5}),
           "accounts": (Account, {"salesforce": 3, "hubspot": 3}),
           "stakeholders": (Stakeholder, {"salesforce": 3, "hubspot": 3})}


@pytest.mark.parametrize(("preset", "kind"), sorted(EXPECTED))
def test_wizard_with_a_preset(login_as: Any, cast: Any, session: Any, preset: str,
                              kind: str) -> None:
    if preset == "hubspot" and kind != "accounts":
        for name in ("Initech", "Umbrella Corporation", "Hooli"):
            make_account(session, name, owner=cast.am1)
        session.commit()
    client = login_as(cast.admin)
    model, created = CREATED[kind]
    before = len(session.exec(select(model)).all())
    map_url = upload_as_rendered(client, kind, preset, crm_sample(preset, kind))

    page = client.get(map_url).get_data(as_text=True)
    label = {"salesforce": "Salesforce", "hubspot": "HubSpot"}[preset]
    assert f"{label} preset applied." in page
    form = _form(page, "/map")
    headers = {field: header for field, header in _column_labels(page).items()}
    for header, target in EXPECTED[(preset, kind)].items():
        assert form.value(headers[header]) == target, header
    if preset == "salesforce":
        assert form.value("date_format") == "%m/%d/%Y"
    response = client.post(form.action, data=form.data())
    assert response.status_code == 302, response.get_data(as_text=True)

    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Mapping applied ({label} preset)" in preview
    assert "No errors" in preview, preview
    run = _form(preview, "/run")
    assert client.post(run.action, data=run.data()).status_code == 302
    session.expire_all()
    assert len(session.exec(select(model)).all()) - before == created[preset]
    if kind == "deals":
        kept = {d.owner_name for d in session.exec(select(Deal)).all() if d.owner_name}
        assert kept == {"Dana Sales", "Raj Patel"}
    if kind == "accounts":
        initech = session.exec(select(Account).where(Account.name == "Initech")).one()
        assert (initech.owner_id, initech.owner_name) == (None, "Dana Sales")


def _column_labels(page: str) -> dict[str, str]:
    """{column header: its select's name} from the map page's <label for="col_N">."""
    import re

    return {header: col for col, header in
            re.findall(r'<label for="(col_\d+)">([^<]*)</label>', page)}


def test_wizard_mapping_overrides_the_preset(login_as: Any, cast: Any, session: Any) -> None:
    client = login_as(cast.analyst)
    map_url = upload_as_rendered(client, "deals", "salesforce",
                                 crm_sample("salesforce", "deals"))
    page = client.get(map_url).get_data(as_text=True)
    form = _form(page, "/map")
    cols = _column_labels(page)
    response = client.post(form.action, data=form.data(
        **{cols["Opportunity Owner"]: "ignore", cols["Type"]: "product"}))
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<td>Type <span" in preview and "<code>product</code>" in preview
    assert "<code>owner</code>" not in preview
    run = _form(preview, "/run")
    assert client.post(run.action, data=run.data()).status_code == 302
    session.expire_all()
    deals = session.exec(select(Deal)).all()
    assert {d.owner_name for d in deals} == {None} and {d.owner_id for d in deals} == {None}
    assert {d.product for d in deals} == {"Existing Business", "New Business"}


def test_upload_refuses_a_preset_without_that_kind(login_as: Any, cast: Any) -> None:
    client = login_as(cast.admin)
    form = page_form(client, "/import/", having="preset")
    data = form.data(kind="value", preset="hubspot")
    data.add("file", (io.BytesIO(b"account\nAcme Corp\n"), "v.csv"))
    page = client.post(form.action, data=data, content_type="multipart/form-data")
    assert page.status_code == 200
    assert "The HubSpot preset has no value" in page.get_data(as_text=True)


def test_deal_pages_show_and_filter_kept_owners(login_as: Any, cast: Any, session: Any) -> None:
    mine = make_deal(session, cast.account1, name="Kept one", owner_name="Dana Sales")
    make_deal(session, cast.account1, name="Kept two", owner_name="Raj Patel")
    make_deal(session, cast.account1, name="A user's", owner_id=cast.analyst.id)
    session.commit()
    client = login_as(cast.analyst)
    page = client.get("/deals").get_data(as_text=True)
    assert "<td>Dana Sales (not a user)</td>" in page and "<td>Ann Analyst</td>" in page
    assert '<option value="name:Dana Sales">Dana Sales (not a user)</option>' in page
    filters = next(f for f in rendered_forms(page) if f.method == "get" and "owner" in f.names)
    assert filters.value("owner") == ""
    filtered = client.get("/deals", query_string=filters.data(owner="name:Dana Sales"))
    text = filtered.get_data(as_text=True)
    assert "Kept one" in text and "Kept two" not in text and "A user&#39;s" not in text
    assert '<option value="name:Dana Sales" selected>' in text
    by_user = client.get("/deals", query_string=filters.data(
        owner=str(cast.analyst.id))).get_data(as_text=True)
    assert "A user&#39;s" in by_user and "Kept one" not in by_user
    # Nonsense filter values are ignored, never an error.
    for value in ("name:", "x", "999999999999999999999", "name:" + "x" * 300):
        assert client.get("/deals", query_string={"owner": value}).status_code == 200

    detail = client.get(f"/deals/{mine.id}").get_data(as_text=True)
    assert '<dd class="col-7" id="deal-owner">Dana Sales (not a user)</dd>' in detail

    edit_url = f"/deals/{mine.id}/edit"
    form = page_form(client, edit_url)
    assert form.value("owner_id") == "kept"
    assert client.post(edit_url, data=form.data(product="Hub")).status_code == 302
    session.expire_all()
    deal = session.get(Deal, mine.id)
    assert (deal.product, deal.owner_id, deal.owner_name) == ("Hub", None, "Dana Sales")
    form = page_form(client, edit_url)
    assert client.post(edit_url, data=form.data(owner_id=str(cast.analyst.id))).status_code == 302
    session.expire_all()
    deal = session.get(Deal, mine.id)
    assert (deal.owner_id, deal.owner_name) == (cast.analyst.id, None)
    assert "not a user" not in client.get(edit_url).get_data(as_text=True)


def test_account_pages_show_a_kept_owner(login_as: Any, cast: Any, session: Any) -> None:
    account = make_account(session, "Initech", owner_name="Dana Sales")
    session.commit()
    client = login_as(cast.admin)
    page = client.get(f"/accounts/{account.slug}").get_data(as_text=True)
    assert '<dd id="account-owner">Dana Sales (not a user)</dd>' in page
    assert "<td>Dana Sales (not a user)</td>" in client.get("/accounts").get_data(as_text=True)

    edit_url = f"/accounts/{account.slug}/edit"
    form = page_form(client, edit_url)
    assert form.value("owner_id") == "kept"
    assert client.post(edit_url, data=form.data(industry="Software")).status_code == 302
    session.expire_all()
    saved = session.get(Account, account.id)
    assert (saved.industry, saved.owner_id, saved.owner_name) == ("Software", None,
                                                                  "Dana Sales")
    form = page_form(client, edit_url)
    assert client.post(edit_url, data=form.data(owner_id="")).status_code == 302
    session.expire_all()
    assert session.get(Account, account.id).owner_name is None


def test_analytics_and_the_quarterly_export_use_kept_owners(login_as: Any, cast: Any,
                                                            session: Any) -> None:
    from datetime import date

    from valuetracker.exports.sheets import deal_rows
    from valuetracker.exports.spec import ExportContext
    from valuetracker.quarters import parse_quarter

    make_deal(session, cast.account1, name="Kept won", owner_name="Dana Sales",
              closed_on=date(2026, 5, 1))
    make_deal(session, cast.account1, outcome="lost", name="Kept lost", owner_name="Dana Sales",
              closed_on=date(2026, 5, 2))
    make_deal(session, cast.account2, name="User's", owner_id=cast.analyst.id,
              closed_on=date(2026, 5, 3))
    session.commit()
    page = login_as(cast.analyst).get("/analytics?by=owner").get_data(as_text=True)
    assert "Dana Sales" in page and "Ann Analyst" in page
    rows = list(deal_rows(ExportContext(session=session, quarter=parse_quarter("2026-Q2"))))
    assert {(r[2], r[5]) for r in rows} == {("Kept won", "Dana Sales"),
                                            ("Kept lost", "Dana Sales"),
                                            ("User's", "Ann Analyst")}
