"""Deal rules: program rules request one interview; competitors resolve through aliases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import select

from valuetracker.models import DealCompetitor, ProgramRule, WinLossInterview
from valuetracker.winloss import (
    apply_program_rules,
    apply_program_rules_to_deals,
    list_deals,
    set_competitors,
)
from valuetracker.winloss.deals import close_problems, split_names

from .conftest import sql_statements
from .factories import make_competitor, make_deal, make_guide, make_interview


def test_rule_by_competitor_and_segment(session: Any, cast: Any) -> None:
    sfdc = make_competitor(session, "Salesforce", "SFDC")
    guide = make_guide(session, "lost")
    session.add(ProgramRule(name="vs SFDC in enterprise", competitor_id=sfdc.id,
                            segment="enterprise"))
    session.commit()
    plain = make_deal(session, cast.account1, "lost")
    assert apply_program_rules(session, plain) is None  # no competitor
    versus = make_deal(session, cast.account1, "lost", competitors=(sfdc,))
    interview = apply_program_rules(session, versus)
    assert interview is not None and interview.guide_id == guide.id
    assert apply_program_rules(session, versus) is None  # one request per deal
    elsewhere = make_deal(session, cast.account2, "lost", competitors=(sfdc,))  # Mid-market
    assert apply_program_rules(session, elsewhere) is None
    open_deal = make_deal(session, cast.account1, "open", competitors=(sfdc,))
    assert apply_program_rules(session, open_deal) is None
    session.commit()
    assert len(session.exec(select(WinLossInterview)).all()) == 1


def test_paused_and_amount_rules(session: Any, cast: Any) -> None:
    session.add(ProgramRule(name="Paused", active=False))
    session.add(ProgramRule(name="Big wins", outcome="won", min_amount=Decimal("50000")))
    session.commit()
    assert apply_program_rules(session, make_deal(session, cast.account1, "won",
                                                  amount=Decimal("49999.99"))) is None
    assert apply_program_rules(session, make_deal(session, cast.account1, "lost",
                                                  amount=Decimal("90000"))) is None
    assert apply_program_rules(session, make_deal(session, cast.account1, "won",
                                                  amount=Decimal("50000"))) is not None


def test_set_competitors_with_aliases_and_primary(session: Any, cast: Any) -> None:
    make_competitor(session, "Microsoft", "MSFT")
    deal = make_deal(session, cast.account1, "won")
    found = set_competitors(session, deal, split_names("msft, Oracle;  "), "Acme Rival")
    assert [c.name for c in found] == ["Microsoft", "Oracle", "Acme Rival"]
    assert deal.primary_competitor_id == found[2].id
    set_competitors(session, deal, ["MICROSOFT"])
    session.commit()
    assert len(session.exec(select(DealCompetitor)).all()) == 1
    assert deal.primary_competitor_id == found[0].id


def test_close_problems_and_scoped_list(session: Any, cast: Any) -> None:
    assert close_problems("won", None, None) == ["A closed deal needs an account.",
                                                 "A closed deal needs a close date."]
    assert close_problems("open", None, None) == []
    assert close_problems("lost", 1, date(2026, 1, 1)) == []
    for i in range(3):
        make_deal(session, cast.account1, "won", name=f"Mine {i}")
    make_deal(session, cast.account2, "won", name="Theirs")
    session.commit()
    page = list_deals(session, cast.am1, size=2)
    assert page.total == 3 and page.pages == 2 and len(page.items) == 2
    assert list_deals(session, cast.am1, q="theirs").total == 0
    assert list_deals(session, cast.analyst, q="theirs").total == 1


def test_rules_applied_in_bulk_with_bounded_queries(app: Any, session: Any, cast: Any) -> None:
    import sqlalchemy as sa

    sfdc = make_competitor(session, "Salesforce", "SFDC")
    make_guide(session, "any")
    first = ProgramRule(name="Any loss vs SFDC", outcome="lost", competitor_id=sfdc.id)
    second = ProgramRule(name="Big wins", outcome="won", min_amount=Decimal("50000"))
    session.add_all([first, second])
    session.flush()
    versus = [make_deal(session, cast.account1, "lost", competitors=(sfdc,)) for _ in range(30)]
    big = [make_deal(session, cast.account2, "won", amount=Decimal("60000")) for _ in range(30)]
    other = [make_deal(session, cast.account1, "lost") for _ in range(20)]
    already = make_deal(session, cast.account1, "won", amount=Decimal("90000"))
    make_interview(session, already, status="requested")
    session.commit()
    ids = [d.id for d in versus + big + other] + [already.id, 999999]

    with sql_statements(app.extensions["valuetracker.engine"]) as statements:
        new_ids = apply_program_rules_to_deals(session, ids)
    session.commit()
    # The transaction's one data-version bump (valuetracker.cache) is not a query per deal.
    statements = [s for s in statements if "data_version" not in s]
    assert len(statements) <= 6, statements[:8]
    assert len(new_ids) == 60
    by_rule = dict(session.exec(
        select(WinLossInterview.rule_id, sa.func.count()).where(WinLossInterview.id.in_(new_ids))
        .group_by(WinLossInterview.rule_id)).all())
    assert by_rule == {first.id: 30, second.id: 30}
    # Idempotent: nothing new the second time.
    assert apply_program_rules_to_deals(session, ids) == []
    assert apply_program_rules_to_deals(session, []) == []
