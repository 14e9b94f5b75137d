"""Accounts: list (search, filters, sorting, pages, scope), create, edit with optimistic
locking, team, archive, audit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from valuetracker import accounts
from valuetracker.models import Account, AccountMember, AuditEvent

from .conftest import get_statements
from .factories import make_account, make_user


def _names(page: accounts.Page) -> list[str]:
    return [account.name for account, _owner in page.items]


def _list(session: Any, user: Any, **kw: Any) -> list[str]:
    page = kw.pop("page", 1)
    size = kw.pop("size", 25)
    return _names(accounts.list_accounts(session, user, accounts.AccountFilters(**kw),
                                         page=page, size=size))


def test_list_is_scoped_to_the_managers_accounts(session: Any, cast: Any) -> None:
    assert _list(session, cast.am1) == ["Acme Corp"]
    assert _list(session, cast.am2) == ["Globex"]
    assert _list(session, cast.leader) == ["Acme Corp", "Globex"]
    member_of = make_account(session, "Initech", owner=cast.am2, members=(cast.am1,))
    session.commit()
    assert _list(session, cast.am1) == ["Acme Corp", member_of.name]


def test_am1_never_sees_globex_on_the_page(login_as: Any, cast: Any) -> None:
    body = login_as(cast.am1).get("/accounts?q=glob&status=all").get_data(as_text=True)
    assert "Globex" not in body and "No accounts match" in body
    assert "Globex" in login_as(cast.analyst).get("/accounts").get_data(as_text=True)


def test_search_by_name_industry_and_external_id(session: Any, cast: Any) -> None:
    make_account(session, "Umbrella", industry="Pharmaceuticals", external_id="SF-0042")
    make_account(session, "100% Pure", industry="Food")
    session.commit()
    assert _list(session, cast.admin, q="umbr") == ["Umbrella"]
    assert _list(session, cast.admin, q="PHARMA") == ["Umbrella"]
    assert _list(session, cast.admin, q="sf-00") == ["Umbrella"]
    # % and _ are searched literally, not as wildcards
    assert _list(session, cast.admin, q="%") == ["100% Pure"]
    assert _list(session, cast.admin, q="_") == []


def test_filters_segment_tier_status_owner(session: Any, cast: Any) -> None:
    make_account(session, "Old Co", owner=cast.am1, status="archived", segment="SMB")
    make_account(session, "Lead Co", owner=cast.am2, status="prospect", tier="strategic",
                 segment="SMB")
    session.commit()
    admin = cast.admin
    assert _list(session, admin) == ["Acme Corp", "Globex", "Lead Co"]  # archived hidden
    assert _list(session, admin, status="archived") == ["Old Co"]
    assert _list(session, admin, status="all") == ["Acme Corp", "Globex", "Lead Co", "Old Co"]
    assert _list(session, admin, segment="SMB") == ["Lead Co"]
    assert _list(session, admin, tier="strategic") == ["Lead Co"]
    assert _list(session, admin, owner_id=cast.am1.id) == ["Acme Corp"]
    assert _list(session, admin, owner_id=cast.am2.id, status="prospect") == ["Lead Co"]


def test_sorting_by_tier_revenue_and_renewal(session: Any, cast: Any) -> None:
    make_account(session, "Big", tier="strategic", annual_revenue=Decimal(900000),
                 renewal_date=date(2027, 1, 1))
    make_account(session, "Small", tier="standard", annual_revenue=Decimal(5000),
                 renewal_date=date(2026, 12, 1))
    make_account(session, "Unknown", tier="key", annual_revenue=None, renewal_date=None)
    session.commit()
    admin = cast.admin
    assert _list(session, admin, sort="tier") == ["Big", "Acme Corp", "Globex", "Unknown",
                                                  "Small"]
    assert _list(session, admin, sort="-revenue")[:2] == ["Big", "Acme Corp"]
    assert _list(session, admin, sort="-revenue")[-1] == "Unknown"  # no revenue goes last
    assert _list(session, admin, sort="revenue")[0] == "Small"
    assert _list(session, admin, sort="revenue")[-1] == "Unknown"
    assert _list(session, admin, sort="renewal")[:2] == ["Small", "Big"]
    assert _list(session, admin, sort="-name")[0] == "Unknown"


def test_pagination(session: Any, cast: Any) -> None:
    for n in range(1, 24):
        make_account(session, f"Paged {n:02d}", owner=cast.am1)
    session.commit()
    page = accounts.list_accounts(session, cast.am1, accounts.AccountFilters(q="Paged"),
                                  page=3, size=10)
    assert (page.number, page.pages, page.total) == (3, 3, 23)
    assert _names(page) == ["Paged 21", "Paged 22", "Paged 23"]
    # a page past the end shows the last page
    assert accounts.list_accounts(session, cast.am1, accounts.AccountFilters(q="Paged"),
                                  page=99, size=10).number == 3


def test_list_page_renders_filters_sort_and_pager(app_config: dict, cast: Any, session: Any,
                                                  login_as: Any) -> None:
    for n in range(30):
        make_account(session, f"Zeta {n:02d}", owner=cast.am1, segment="SMB")
    session.commit()
    client = login_as(cast.am1)
    body = client.get("/accounts?segment=SMB&sort=-name&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in body and "Zeta 04" in body and "Zeta 29" not in body
    assert "segment=SMB" in body  # pager links keep the filters
    # garbage in the query string is ignored, never a 500
    response = client.get("/accounts?tier=bogus&owner=x&sort=drop+table&page=abc")
    assert response.status_code == 200


def test_list_queries_do_not_grow_with_rows(app: Any, session: Any, cast: Any,
                                            login_as: Any) -> None:
    """One COUNT and one page query, whatever the page size: no query per row."""
    client = login_as(cast.admin)
    client.get("/accounts")  # warm up (login, user loading)

    few = len(get_statements(app, client, "/accounts?sort=-revenue"))
    session.execute(sa.insert(Account), [
        {"name": f"Bulk {n:04d}", "slug": f"bulk-{n:04d}", "tier": "key", "status": "active",
         "owner_id": cast.am1.id, "annual_revenue": Decimal(n), "version": 1}
        for n in range(300)])
    session.commit()
    assert len(get_statements(app, client, "/accounts?sort=-revenue")) == few


def test_account_manager_creates_account_and_becomes_owner(login_as: Any, cast: Any,
                                                           session: Any) -> None:
    response = login_as(cast.am1).post("/accounts/new", data={
        "name": "  Initech  ", "segment": "SMB", "industry": "Software", "tier": "key",
        "status": "active", "annual_revenue": "120000.50", "cost_to_serve": "30000",
        "renewal_date": "2027-03-31", "external_id": "CRM-7"})
    assert response.status_code == 302
    account = session.exec(select(Account).where(Account.name == "Initech")).one()
    assert response.headers["Location"].endswith("/accounts/initech")
    assert account.owner_id == cast.am1.id
    assert account.annual_revenue == Decimal("120000.50")
    assert account.renewal_date == date(2027, 3, 31)
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "account",
                                                  AuditEvent.action == "create")).one()
    assert event.user_id == cast.am1.id and event.entity_id == str(account.id)


def test_admin_creates_account_with_owner_and_team(login_as: Any, cast: Any,
                                                   session: Any) -> None:
    response = login_as(cast.admin).post("/accounts/new", data={
        "name": "Hooli", "tier": "standard", "status": "prospect",
        "owner_id": str(cast.am2.id), "member_ids": [str(cast.am1.id)]})
    assert response.status_code == 302
    account = session.exec(select(Account).where(Account.name == "Hooli")).one()
    assert account.owner_id == cast.am2.id
    assert accounts.member_ids(session, account) == [cast.am1.id]


def test_leader_and_analyst_cannot_create(login_as: Any, cast: Any) -> None:
    for user in (cast.leader, cast.analyst):
        assert login_as(user).get("/accounts/new").status_code == 403
        assert login_as(user).post("/accounts/new", data={"name": "X"}).status_code == 403


def test_duplicate_name_and_bad_numbers_rerender_with_errors(login_as: Any, cast: Any,
                                                             session: Any) -> None:
    client = login_as(cast.am1)
    response = client.post("/accounts/new", data={"name": "acme corp", "tier": "key",
                                                  "status": "active"})
    assert response.status_code == 200
    assert "Another account already has this name." in response.get_data(as_text=True)
    for bad in ("abc", "NaN", "Infinity", "-5", "1e20"):
        response = client.post("/accounts/new", data={
            "name": "Numbers Inc", "tier": "key", "status": "active", "annual_revenue": bad})
        assert response.status_code == 200, bad
        assert "is-invalid" in response.get_data(as_text=True)
    response = client.post("/accounts/new", data={"name": "Dates Inc", "tier": "key",
                                                  "status": "active", "renewal_date": "31/02"})
    assert response.status_code == 200
    assert session.exec(select(sa.func.count()).select_from(Account)).one() == 2


def test_slug_is_unique(session: Any, login_as: Any, cast: Any) -> None:
    client = login_as(cast.admin)
    client.post("/accounts/new", data={"name": "Acme Corp.", "tier": "key", "status": "active"})
    client.post("/accounts/new", data={"name": "ACME corp!", "tier": "key", "status": "active"})
    slugs = sorted(session.exec(select(Account.slug).where(Account.slug.like("acme%"))).all())
    assert slugs == ["acme-corp", "acme-corp-2", "acme-corp-3"]


def test_edit_saves_and_audits_the_diff(login_as: Any, cast: Any, session: Any) -> None:
    client = login_as(cast.am1)
    form = client.get("/accounts/acme-corp/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in form
    response = client.post("/accounts/acme-corp/edit", data={
        "name": "Acme Corporation", "tier": "strategic", "status": "active", "version": "1",
        "owner_id": str(cast.am1.id), "segment": "Enterprise"})
    assert response.status_code == 302
    session.refresh(cast.account1)
    assert cast.account1.name == "Acme Corporation" and cast.account1.version == 2
    assert cast.account1.slug == "acme-corp"  # links keep working after a rename
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert event.details["name"] == ["Acme Corp", "Acme Corporation"]
    assert event.details["tier"] == ["key", "strategic"]


def test_concurrent_edit_second_save_is_refused(login_as: Any, cast: Any,
                                                session: Any) -> None:
    """Two people open the edit form; the first save wins, the second sees who changed it."""
    first, second = login_as(cast.am1), login_as(cast.admin)
    for client in (first, second):
        assert 'value="1"' in client.get("/accounts/acme-corp/edit").get_data(as_text=True)
    base = {"name": "Acme Corp", "tier": "key", "status": "active", "version": "1",
            "owner_id": str(cast.am1.id)}
    assert first.post("/accounts/acme-corp/edit",
                      data=dict(base, industry="Aerospace")).status_code == 302
    response = second.post("/accounts/acme-corp/edit", data=dict(base, industry="Retail"))
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Alice Manager changed this account since you opened it" in body
    assert 'value="Retail"' in body  # their input is kept
    assert 'name="version" type="hidden" value="2"' in body
    session.refresh(cast.account1)
    assert cast.account1.industry == "Aerospace" and cast.account1.version == 2
    # saving again is a deliberate overwrite and works
    response = second.post("/accounts/acme-corp/edit",
                           data=dict(base, industry="Retail", version="2"))
    assert response.status_code == 302
    session.refresh(cast.account1)
    assert cast.account1.industry == "Retail"


def test_owner_manages_team_member_cannot(login_as: Any, cast: Any, session: Any) -> None:
    member = make_user(session, "account_manager", name="Mo Member")
    session.add(AccountMember(account_id=cast.account1.id, user_id=member.id))
    session.commit()
    owner_form = login_as(cast.am1).get("/accounts/acme-corp/edit").get_data(as_text=True)
    assert 'name="member_ids"' in owner_form
    member_client = login_as(member)
    assert 'name="member_ids"' not in member_client.get("/accounts/acme-corp/edit").get_data(
        as_text=True)
    # a member may edit the facts; team fields they send are ignored
    response = member_client.post("/accounts/acme-corp/edit", data={
        "name": "Acme Corp", "tier": "key", "status": "active", "version": "1",
        "industry": "Rockets", "owner_id": str(member.id), "member_ids": []})
    assert response.status_code == 302
    session.refresh(cast.account1)
    assert cast.account1.industry == "Rockets" and cast.account1.owner_id == cast.am1.id
    # the owner changes the team
    response = login_as(cast.am1).post("/accounts/acme-corp/edit", data={
        "name": "Acme Corp", "tier": "key", "status": "active", "version": "2",
        "owner_id": str(cast.am1.id), "member_ids": [str(cast.am2.id)]})
    assert response.status_code == 302
    assert accounts.member_ids(session, cast.account1) == [cast.am2.id]


def test_owner_handing_over_stays_on_the_team(login_as: Any, cast: Any, session: Any) -> None:
    response = login_as(cast.am1).post("/accounts/acme-corp/edit", data={
        "name": "Acme Corp", "tier": "key", "status": "active", "version": "1",
        "owner_id": str(cast.am2.id)})
    assert response.status_code == 302
    session.refresh(cast.account1)
    assert cast.account1.owner_id == cast.am2.id
    assert accounts.member_ids(session, cast.account1) == [cast.am1.id]
    assert login_as(cast.am1).get("/accounts/acme-corp").status_code == 200


def test_archive_hides_from_list_and_is_audited(login_as: Any, cast: Any, session: Any) -> None:
    client = login_as(cast.am1)
    assert client.get("/accounts/acme-corp/archive").status_code == 405
    assert client.post("/accounts/acme-corp/archive").status_code == 302
    session.refresh(cast.account1)
    assert cast.account1.status == "archived" and cast.account1.version == 2
    assert 'href="/accounts/acme-corp"' not in client.get("/accounts").get_data(as_text=True)
    assert 'href="/accounts/acme-corp"' in client.get("/accounts?status=archived").get_data(
        as_text=True)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "archive")).one()


def test_account_page_shows_facts_team_and_panels(login_as: Any, cast: Any,
                                                  session: Any) -> None:
    cast.account1.industry = "Aerospace"
    cast.account1.renewal_date = date(2027, 5, 1)
    cast.account1.external_id = "SF-1"
    session.add(AccountMember(account_id=cast.account1.id, user_id=cast.am2.id))
    session.add(cast.account1)
    session.commit()
    body = login_as(cast.am1).get("/accounts/acme-corp").get_data(as_text=True)
    for text in ("Aerospace", "$100,000", "$20,000", "$80,000", "2027-05-01", "SF-1",
                 "Alice Manager", "Bob Manager", "Carol Buyer", "Relationship map",
                 "Edit account"):
        assert text in body, text
    # a leader reads the page without edit buttons
    body = login_as(cast.leader).get("/accounts/acme-corp").get_data(as_text=True)
    assert "Carol Buyer" in body and "Edit account" not in body


def test_negative_margin_is_flagged(login_as: Any, cast: Any, session: Any) -> None:
    make_account(session, "Costly", owner=cast.am1, annual_revenue=Decimal(1000),
                 cost_to_serve=Decimal(5000))
    session.commit()
    body = login_as(cast.am1).get("/accounts/costly").get_data(as_text=True)
    assert "-$4,000" in body and "Costs more to serve than it brings" in body


def test_owner_filter_offers_the_owners_of_the_users_accounts(session: Any, cast: Any) -> None:
    former = make_user(session, "account_manager", name="Fay Former", active=False)
    make_account(session, "Hooli", owner=former, status="archived")
    make_user(session, "account_manager", name="Nia Noaccounts")
    session.commit()
    names = [name for _id, name in accounts.owner_options(session, cast.admin)]
    # Owners of any account, archived ones and inactive owners included; nobody else.
    assert names == ["Alice Manager", "Bob Manager", "Fay Former"]
    assert accounts.owner_options(session, cast.am1) == [(cast.am1.id, "Alice Manager")]
    make_account(session, "Initech", owner=cast.am2, members=(cast.am1,))
    session.commit()
    assert [n for _id, n in accounts.owner_options(session, cast.am1)] == [
        "Alice Manager", "Bob Manager"]


def test_owner_filter_still_filters_and_escapes_names(session: Any, cast: Any,
                                                      login_as: Any) -> None:
    odd = make_user(session, "account_manager", name="<b>Odd</b> & Co")
    make_account(session, "Umbrella", owner=odd)
    session.commit()
    client = login_as(cast.admin)
    body = client.get(f"/accounts?owner={cast.am2.id}").get_data(as_text=True)
    assert "Globex" in body and "Acme Corp" not in body and "Umbrella" not in body
    assert f'<option value="{cast.am2.id}" selected>Bob Manager</option>' in body
    assert f'<option value="{cast.am1.id}">Alice Manager</option>' in body
    assert "&lt;b&gt;Odd&lt;/b&gt; &amp; Co" in body and "<b>Odd</b>" not in body
    # The other filters render the same way, with their choice kept.
    body = client.get("/accounts?tier=key&status=all").get_data(as_text=True)
    assert '<option value="key" selected>Key</option>' in body
    assert '<select class="form-select" id="owner" name="owner">' in body
    # An owner the user may not filter by is ignored, not an error.
    body = login_as(cast.am1).get(f"/accounts?owner={cast.am2.id}").get_data(as_text=True)
    assert "Acme Corp" in body and "Globex" not in body


def test_list_sorts_and_pages_the_keys_then_loads_the_rows(session: Any, cast: Any) -> None:
    for n in range(12):
        make_account(session, f"key {n:02d}" if n % 2 else f"Key {n:02d}", owner=cast.am2,
                     annual_revenue=Decimal(n % 4))
    session.commit()
    pages = [accounts.list_accounts(session, cast.admin, accounts.AccountFilters(
        q="key", sort="-revenue"), page=n, size=5) for n in (1, 2, 3)]
    rows = [row for page in pages for row in page.items]
    assert [p.total for p in pages] == [12, 12, 12]
    # revenue descending, then name ignoring case, then id; owner names joined per row
    expected = sorted(rows, key=lambda r: (-r[0].annual_revenue, r[0].name.lower(), r[0].id))
    assert rows == expected and len({r[0].id for r in rows}) == 12
    assert {owner for _account, owner in rows} == {"Bob Manager"}
