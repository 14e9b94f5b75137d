"""Deal rules: program rules request one interview; competitors resolve through aliases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import select

from valuetracker.models import DealCompetitor, ProgramRule, WinLossInterview
from valuetracker.winloss import apply_program_rules, list_deals, set_competitors
from valuetracker.winloss.deals import close_problems, split_names

from .factories_winloss import make_competitor, make_deal, make_guide


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
