"""The relationship map: org chart from reports-to and the coverage warnings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import select

from valuetracker import stakeholders
from valuetracker.models import Stakeholder

from .factories import make_account, make_stakeholder

TODAY = date(2026, 11, 23)
RECENT = TODAY - timedelta(days=10)
OLD = TODAY - timedelta(days=91)
LEFT = datetime(2026, 9, 1, tzinfo=UTC)


def _codes(session: Any, account: Any, today: date = TODAY) -> list[str]:
    rows = stakeholders.account_stakeholders(session, account, today)
    return [w.code for w in stakeholders.coverage_warnings(rows)]


def test_empty_account_has_every_structural_warning(session: Any, cast: Any) -> None:
    empty = make_account(session, "Empty")
    session.commit()
    assert _codes(session, empty) == ["no_economic_buyer", "single_threaded",
                                      "no_key_stakeholder"]


def test_healthy_account_has_no_warnings(session: Any, cast: Any) -> None:
    account = make_account(session, "Healthy")
    make_stakeholder(session, account, "Eve Buyer", buying_role="economic_buyer",
                     is_key=True, last_contacted_on=RECENT)
    make_stakeholder(session, account, "Cam Champion", buying_role="champion",
                     last_contacted_on=TODAY - timedelta(days=90))  # day 90 still counts
    session.commit()
    assert _codes(session, account) == []


def test_single_threaded_counts_only_active_reachable_recent_contacts(session: Any,
                                                                       cast: Any) -> None:
    account = make_account(session, "Thin")
    make_stakeholder(session, account, "Only One", buying_role="economic_buyer", is_key=True,
                     last_contacted_on=RECENT)
    make_stakeholder(session, account, "Too Old", last_contacted_on=OLD)
    make_stakeholder(session, account, "Never")
    make_stakeholder(session, account, "Opted", last_contacted_on=RECENT,
                     opted_out_at=LEFT)
    make_stakeholder(session, account, "Gone", last_contacted_on=RECENT, left_company_at=LEFT)
    make_stakeholder(session, account, "Erased", last_contacted_on=RECENT, erased_at=LEFT)
    session.commit()
    rows = stakeholders.account_stakeholders(session, account, TODAY)
    warnings = stakeholders.coverage_warnings(rows)
    assert [w.code for w in warnings] == ["single_threaded"]
    assert "only Only One is engaged" in warnings[0].message


def test_key_stakeholder_left_and_not_contacted(session: Any, cast: Any) -> None:
    account = make_account(session, "Risky")
    make_stakeholder(session, account, "Eb", buying_role="economic_buyer", is_key=True,
                     last_contacted_on=RECENT)
    make_stakeholder(session, account, "Kay Left", is_key=True, left_company_at=LEFT,
                     last_contacted_on=RECENT)
    make_stakeholder(session, account, "Kay Quiet", is_key=True, last_contacted_on=OLD)
    make_stakeholder(session, account, "Kay Never", is_key=True)
    make_stakeholder(session, account, "Helper", last_contacted_on=RECENT)
    session.commit()
    rows = stakeholders.account_stakeholders(session, account, TODAY)
    warnings = {w.code: w for w in stakeholders.coverage_warnings(rows)}
    assert set(warnings) == {"key_left", "key_stale"}
    assert warnings["key_left"].names == ("Kay Left",)
    assert set(warnings["key_stale"].names) == {"Kay Quiet", "Kay Never"}


def test_departed_economic_buyer_is_not_recorded(session: Any, cast: Any) -> None:
    account = make_account(session, "Lost EB")
    make_stakeholder(session, account, "Ex Buyer", buying_role="economic_buyer",
                     left_company_at=LEFT)
    session.commit()
    assert "no_economic_buyer" in _codes(session, account)


def test_engaged_condition_and_grouped_counts_agree(session: Any, cast: Any) -> None:
    """Portfolio analytics reuse `engaged_condition`; it must count like the account page."""
    a = make_account(session, "A")
    b = make_account(session, "B")
    make_stakeholder(session, a, "A1", last_contacted_on=RECENT, is_key=True)
    make_stakeholder(session, a, "A2", last_contacted_on=OLD)
    make_stakeholder(session, b, "B1", last_contacted_on=RECENT)
    make_stakeholder(session, b, "B2", last_contacted_on=RECENT)
    make_stakeholder(session, b, "B3", last_contacted_on=RECENT, opted_out_at=LEFT)
    session.commit()
    engaged = session.exec(
        select(Stakeholder.name).where(stakeholders.engaged_condition(TODAY))
        .where(Stakeholder.account_id.in_([a.id, b.id])).order_by(Stakeholder.name)).all()
    assert engaged == ["A1", "B1", "B2"]
    counts = stakeholders.coverage_counts(session, TODAY, account_ids=[a.id, b.id])
    assert counts[a.id]["engaged"] == 1 and counts[b.id]["engaged"] == 2
    assert counts[a.id]["key_active"] == 1 and counts[b.id]["key_active"] == 0
    for account in (a, b):
        assert [w.code for w in stakeholders.warnings_from_counts(counts[account.id])] == \
            _codes(session, account)


def test_org_tree_nests_reports(session: Any, cast: Any) -> None:
    account = make_account(session, "Org")
    ceo = make_stakeholder(session, account, "Ceo", influence=5)
    vp = make_stakeholder(session, account, "Vp", reports_to_id=ceo.id, influence=4)
    make_stakeholder(session, account, "Dev", reports_to_id=vp.id, influence=2)
    make_stakeholder(session, account, "Loner", influence=1)
    session.commit()
    tree = stakeholders.org_tree(stakeholders.account_stakeholders(session, account, TODAY))

    def shape(nodes: list[stakeholders.OrgNode]) -> list[Any]:
        return [(n.person.name, shape(n.reports)) for n in nodes]

    assert shape(tree) == [("Ceo", [("Vp", [("Dev", [])])]), ("Loner", [])]


def test_org_tree_survives_a_loop_in_stored_data(session: Any, cast: Any) -> None:
    account = make_account(session, "Loop")
    a = make_stakeholder(session, account, "A")
    b = make_stakeholder(session, account, "B", reports_to_id=a.id)
    a.reports_to_id = b.id  # written behind validation's back (e.g. a raw import)
    session.add(a)
    session.commit()
    tree = stakeholders.org_tree(stakeholders.account_stakeholders(session, account, TODAY))
    names = []

    def walk(nodes: list[stakeholders.OrgNode]) -> None:
        for node in nodes:
            names.append(node.person.name)
            walk(node.reports)

    walk(tree)
    assert sorted(names) == ["A", "B"]


def test_account_page_shows_map_with_role_influence_sentiment(login_as: Any, cast: Any,
                                                              session: Any) -> None:
    make_stakeholder(session, cast.account1, "Vic Report", buying_role="champion",
                     influence=2, sentiment="advocate", reports_to_id=cast.stakeholder1.id,
                     last_contacted_on=date.today())
    session.commit()
    body = login_as(cast.am1).get("/accounts/acme-corp").get_data(as_text=True)
    tree = body[body.index('class="org-tree"'):body.index("Stakeholders <span")]
    assert tree.index("Carol Buyer") < tree.index("<ul>") < tree.index("Vic Report")
    assert "●●○○○" in tree and "Champion" in tree and "sentiment-advocate" in tree
    assert 'data-warning="single_threaded"' in body  # Carol was never contacted
    assert 'data-warning="key_stale"' in body
    assert 'data-warning="no_economic_buyer"' not in body
