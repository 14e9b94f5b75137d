"""Win/loss pages: deals, debrief, interviews, guides, taxonomy, rules; and who may reach them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from valuetracker.models import (
    AuditEvent,
    Deal,
    DealCompetitor,
    DecisionFactor,
    FactorRating,
    GuideQuestion,
    InterviewQuote,
    ProgramRule,
    WinLossInterview,
)
from valuetracker.winloss import ensure_default_taxonomy

from .factories import (
    make_account,
    make_competitor,
    make_deal,
    make_factor,
    make_guide,
    make_interview,
)


@pytest.fixture
def world(session: Any, cast: Any) -> dict[str, Any]:
    """A deal on each account, an interview on account2's deal, a guide and a factor."""
    price = make_factor(session, "Price", "Commercial")
    deal1 = make_deal(session, cast.account1, name="Acme expansion", owner_id=cast.am1.id)
    deal2 = make_deal(session, cast.account2, name="Globex renewal", owner_id=cast.am2.id)
    loose = make_deal(session, None, outcome="open", name="Unassigned lead",
                      owner_id=cast.am2.id)
    interview2 = make_interview(session, deal2, cast.stakeholder2)
    guide = make_guide(session, factor=price)
    session.commit()
    return {"deal1": deal1, "deal2": deal2, "loose": loose, "interview2": interview2,
            "guide": guide, "price": price, "question": session.exec(
                select(GuideQuestion).where(GuideQuestion.guide_id == guide.id)).first()}


def test_deals_list_shows_only_own_accounts_to_managers(login_as: Any, cast: Any, world: Any
                                                        ) -> None:
    page = login_as(cast.am1).get("/deals").get_data(as_text=True)
    assert "Acme expansion" in page
    assert "Globex renewal" not in page and "Unassigned lead" not in page
    page = login_as(cast.am2).get("/deals").get_data(as_text=True)
    assert "Globex renewal" in page and "Unassigned lead" in page
    page = login_as(cast.leader).get("/deals").get_data(as_text=True)
    assert all(n in page for n in ("Acme expansion", "Globex renewal", "Unassigned lead"))


def test_create_deal_with_competitor_aliases_then_debrief(login_as: Any, cast: Any,
                                                         session: Any) -> None:
    make_competitor(session, "Microsoft", "MSFT")
    ensure_default_taxonomy(session)
    session.commit()
    client = login_as(cast.am1)
    response = client.post("/deals/new", data={
        "name": "Acme platform", "account_id": str(cast.account1.id), "outcome": "lost",
        "amount": "25000", "owner_id": str(cast.am1.id), "closed_on": "2026-10-01",
        "competitors": "msft; Oracle", "primary_competitor": "Microsoft"})
    assert response.status_code == 302 and "/debrief" in response.location
    deal = session.exec(select(Deal).where(Deal.name == "Acme platform")).one()
    assert len(session.exec(select(DealCompetitor).where(
        DealCompetitor.deal_id == deal.id)).all()) == 2
    price = session.exec(select(DecisionFactor).where(DecisionFactor.name == "Price")).one()
    response = client.post(f"/deals/{deal.id}/debrief", data={
        "outcome": "lost", "closed_on": "2026-10-01", "rep_reason_id": str(price.id),
        "rep_notes": "Too expensive", "version": "1"})
    assert response.status_code == 302
    session.refresh(deal)
    assert deal.rep_reason_id == price.id and deal.rep_notes == "Too expensive"
    assert session.exec(select(AuditEvent).where(AuditEvent.entity == "deal")).all()


def test_closed_deal_needs_account_and_bad_input_rerenders(login_as: Any, cast: Any,
                                                          session: Any) -> None:
    client = login_as(cast.analyst)
    response = client.post("/deals/new", data={"name": "X", "account_id": "", "outcome": "won",
                                               "owner_id": "", "amount": "abc"})
    assert response.status_code == 200
    assert "Enter a number" in response.get_data(as_text=True)
    response = client.post("/deals/new", data={"name": "X", "account_id": "", "outcome": "won",
                                               "owner_id": ""})
    assert response.status_code == 200
    assert "A closed deal needs an account." in response.get_data(as_text=True)
    assert session.exec(select(Deal)).all() == []


def test_program_rule_requests_one_interview(login_as: Any, cast: Any, session: Any) -> None:
    ensure_default_taxonomy(session)
    session.add(ProgramRule(name="Big losses", outcome="lost", min_amount=5000))
    deal = make_deal(session, cast.account1, outcome="open", name="Open one",
                     owner_id=cast.am1.id, amount=20000)
    session.commit()
    factor = session.exec(select(DecisionFactor)).first()
    client = login_as(cast.am1)
    for version in (1, 2):  # debrief twice: still one request
        response = client.post(f"/deals/{deal.id}/debrief", data={
            "outcome": "lost", "closed_on": "2026-10-02", "rep_reason_id": str(factor.id),
            "version": str(version)})
        assert response.status_code == 302
    interviews = session.exec(select(WinLossInterview).where(
        WinLossInterview.deal_id == deal.id)).all()
    assert len(interviews) == 1 and interviews[0].status == "requested"
    small = make_deal(session, cast.account1, outcome="open", amount=100, owner_id=cast.am1.id)
    session.commit()
    assert client.post(f"/deals/{small.id}/debrief", data={
        "outcome": "lost", "closed_on": "2026-10-02", "rep_reason_id": str(factor.id),
        "version": "1"}).status_code == 302
    assert session.exec(select(WinLossInterview).where(
        WinLossInterview.deal_id == small.id)).all() == []


def test_stale_deal_edit_is_refused_with_the_input_kept(login_as: Any, cast: Any,
                                                        session: Any) -> None:
    deal = make_deal(session, cast.account1, outcome="open", name="Acme platform",
                     owner_id=cast.am1.id, amount=20000)
    session.commit()
    client = login_as(cast.am1)
    page = client.get(f"/deals/{deal.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in page
    form = {"name": "Acme platform", "account_id": str(cast.account1.id), "outcome": "open",
            "amount": "20000", "owner_id": str(cast.am1.id), "version": "1"}
    # The analyst saves first (version 1 -> 2)...
    response = login_as(cast.analyst).post(f"/deals/{deal.id}/edit",
                                           data={**form, "amount": "30000"})
    assert response.status_code == 302
    # ...so the manager's save of version 1 changes nothing and says why.
    response = client.post(f"/deals/{deal.id}/edit",
                           data={**form, "name": "Acme platform XL", "amount": "25000"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "changed this deal since you opened it" in page and "not saved" in page
    assert 'value="Acme platform XL"' in page and 'value="2"' in page
    session.refresh(deal)
    assert deal.name == "Acme platform" and deal.amount == 30000 and deal.version == 2
    # Saving again with the new version is a deliberate overwrite.
    response = client.post(f"/deals/{deal.id}/edit",
                           data={**form, "name": "Acme platform XL", "version": "2"})
    assert response.status_code == 302
    session.refresh(deal)
    assert deal.name == "Acme platform XL" and deal.version == 3


def test_stale_debrief_is_refused(login_as: Any, cast: Any, session: Any) -> None:
    ensure_default_taxonomy(session)
    deal = make_deal(session, cast.account1, outcome="open", owner_id=cast.am1.id)
    deal.version = 4
    session.commit()
    factor = session.exec(select(DecisionFactor)).first()
    data = {"outcome": "lost", "closed_on": "2026-10-02", "rep_reason_id": str(factor.id),
            "rep_notes": "Price"}
    client = login_as(cast.am1)
    assert 'value="4"' in client.get(f"/deals/{deal.id}/debrief").get_data(as_text=True)
    for version in ("3", "", "x"):
        response = client.post(f"/deals/{deal.id}/debrief", data={**data, "version": version})
        assert response.status_code == 409, version
        assert "changed this deal since you opened it" in response.get_data(as_text=True)
    session.refresh(deal)
    assert deal.outcome == "open" and deal.rep_notes is None and deal.version == 4
    response = client.post(f"/deals/{deal.id}/debrief", data={**data, "version": "4"})
    assert response.status_code == 302
    session.refresh(deal)
    assert deal.outcome == "lost" and deal.version == 5


def test_record_interview_with_ratings_and_quotes(login_as: Any, cast: Any, session: Any,
                                                  world: Any) -> None:
    interview = world["interview2"]
    interview.guide_id = world["guide"].id
    session.add(interview)
    session.commit()
    price, question = world["price"], world["question"]
    data = {"stakeholder_id": str(cast.stakeholder2.id), "anonymity": "anonymized",
            "status": "completed", "channel": "video", "completed_on": "2026-06-03",
            "primary_reason_id": str(price.id), f"q_{question.id}": "The price was right",
            f"r_{price.id}": "4", f"i_{price.id}": "5", f"e_{price.id}": "win_driver",
            "quote_text_1": "Half the price of the others", "quote_tags_1": "Pricing; budget",
            "quote_factor_1": str(price.id), "version": str(interview.version)}
    response = login_as(cast.analyst).post(f"/interviews/{interview.id}/record", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    rating = session.exec(select(FactorRating).where(
        FactorRating.interview_id == interview.id)).one()
    assert (rating.rating, rating.importance, rating.effect) == (4, 5, "win_driver")
    quote = session.exec(select(InterviewQuote)).one()
    assert quote.tags == "pricing;budget"
    page = login_as(cast.analyst).get(f"/interviews/{interview.id}/record")
    assert "Half the price of the others" in page.get_data(as_text=True)
    bad = dict(data, **{f"r_{price.id}": "9"})
    assert login_as(cast.analyst).post(f"/interviews/{interview.id}/record",
                                       data=bad).status_code == 200


def test_taxonomy_default_is_a_post_and_idempotent(login_as: Any, cast: Any,
                                                  session: Any) -> None:
    client = login_as(cast.analyst)
    assert client.get("/taxonomy").status_code == 200
    assert session.exec(select(DecisionFactor)).all() == []  # GET changes nothing
    client.post("/taxonomy/default")
    client.post("/taxonomy/default")
    names = [f.name for f in session.exec(select(DecisionFactor)).all()]
    assert len(names) == 13 and "No decision-maker" in names
    response = client.post("/taxonomy", data={"category": "Product", "name": "Features",
                                              "position": "5", "active": "y"})
    assert "already has a factor" in response.get_data(as_text=True)


def test_guide_questions_add_move_delete(login_as: Any, cast: Any, session: Any,
                                         world: Any) -> None:
    client = login_as(cast.analyst)
    guide = world["guide"]
    response = client.post(f"/guides/{guide.id}", data={
        "text": "Which vendor came second?", "kind": "choice", "choices_text": "A; B",
        "factor_id": ""})
    assert response.status_code == 302
    response = client.post(f"/guides/{guide.id}", data={
        "text": "Pick one", "kind": "choice", "choices_text": "only", "factor_id": ""})
    assert "at least two options" in response.get_data(as_text=True)
    last = session.exec(select(GuideQuestion).where(GuideQuestion.guide_id == guide.id)
                        .order_by(GuideQuestion.position.desc())).first()
    assert last.text == "Which vendor came second?" and last.choices == "A;B"
    client.post(f"/guides/questions/{last.id}/move/up")
    order = [q.text for q in session.exec(select(GuideQuestion).where(
        GuideQuestion.guide_id == guide.id).order_by(GuideQuestion.position)).all()]
    assert order[1] == "Which vendor came second?"
    client.post(f"/guides/questions/{last.id}/delete")
    assert len(session.exec(select(GuideQuestion).where(
        GuideQuestion.guide_id == guide.id)).all()) == 2


def test_rules_page_resolves_competitor_alias(login_as: Any, cast: Any, session: Any) -> None:
    make_competitor(session, "Microsoft", "MSFT")
    session.commit()
    client = login_as(cast.analyst)
    response = client.post("/rules", data={"name": "Vs MSFT", "outcome": "", "competitor": "msft",
                                           "segment": "Enterprise"})
    assert response.status_code == 302
    assert session.exec(select(ProgramRule)).one().competitor_id is not None
    response = client.post("/rules", data={"name": "Nobody", "competitor": "Nobody Inc"})
    assert "No competitor by that name" in response.get_data(as_text=True)


# --- permissions -------------------------------------------------------------------------


def _urls(world: Any) -> dict[str, str]:
    d1, i2, g, q = world["deal1"], world["interview2"], world["guide"], world["question"]
    return {"deal": f"/deals/{d1.id}", "edit": f"/deals/{d1.id}/edit",
            "debrief": f"/deals/{d1.id}/debrief", "interview": f"/interviews/{i2.id}",
            "record": f"/interviews/{i2.id}/record", "guide": f"/guides/{g.id}",
            "question": f"/guides/questions/{q.id}/edit"}


def test_other_manager_gets_404_on_deal_pages(login_as: Any, cast: Any, world: Any) -> None:
    client = login_as(cast.am2)
    urls = _urls(world)
    for key in ("deal", "edit", "debrief"):
        assert client.get(urls[key]).status_code == 404, key
    for key in ("edit", "debrief"):
        assert client.post(urls[key], data={"name": "x"}).status_code == 404, key
    d1 = world["deal1"]
    assert client.post(f"/deals/{d1.id}/survey").status_code == 403  # role first
    am1 = login_as(cast.am1)
    assert am1.get(f"/deals/{world['loose'].id}").status_code == 404  # account-less, not owner
    assert am1.get(urls["interview"]).status_code == 404  # another account's interview


@pytest.mark.parametrize("path,method", [
    ("/interviews", "GET"), ("/analytics", "GET"), ("/quotes", "GET"), ("/taxonomy", "GET"),
    ("/guides", "GET"), ("/rules", "GET"), ("/taxonomy/default", "POST"), ("/rules", "POST"),
])
def test_account_managers_cannot_reach_the_program(login_as: Any, cast: Any, path: str,
                                                   method: str) -> None:
    client = login_as(cast.am1)
    response = client.get(path) if method == "GET" else client.post(path, data={})
    assert response.status_code == 403


def test_manager_of_the_account_gets_403_on_its_interview(login_as: Any, cast: Any,
                                                          world: Any) -> None:
    urls = _urls(world)
    client = login_as(cast.am2)
    assert client.get(urls["interview"]).status_code == 403
    assert client.post(urls["record"], data={}).status_code == 403


def test_leader_reads_but_cannot_change(login_as: Any, cast: Any, world: Any) -> None:
    client = login_as(cast.leader)
    urls = _urls(world)
    for key in ("deal", "interview", "guide"):
        assert client.get(urls[key]).status_code == 200, key
    for path in ("/analytics", "/quotes", "/interviews", "/taxonomy", "/guides", "/rules"):
        assert client.get(path).status_code == 200, path
    for key in ("edit", "debrief", "record", "question"):
        assert client.get(urls[key]).status_code == 403, key
        assert client.post(urls[key], data={}).status_code == 403, key
    for path in ("/deals/new", "/taxonomy", "/guides", "/rules", "/taxonomy/default",
                 f"/deals/{world['deal1'].id}/interviews", "/rules/1/toggle"):
        assert client.post(path, data={}).status_code == 403, path


def test_not_logged_in_is_sent_to_login(client: Any, world: Any) -> None:
    for path in ("/deals", "/analytics", f"/deals/{world['deal1'].id}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location


def test_analyst_runs_the_program_everywhere(login_as: Any, cast: Any, world: Any,
                                            session: Any) -> None:
    client = login_as(cast.analyst)
    urls = _urls(world)
    for key, url in urls.items():
        assert client.get(url).status_code == 200, key
    response = client.post(f"/deals/{world['deal1'].id}/interviews")
    assert response.status_code == 302
    assert session.exec(select(WinLossInterview).where(
        WinLossInterview.deal_id == world["deal1"].id)).one().status == "requested"
    assert client.get(f"/deals/{world['loose'].id}").status_code == 200
    assert client.get("/deals/999999").status_code == 404
    assert client.get("/interviews/999999").status_code == 404


def test_deal_dates_validated(login_as: Any, cast: Any) -> None:
    response = login_as(cast.am1).post("/deals/new", data={
        "name": "Backwards", "account_id": str(cast.account1.id), "outcome": "won",
        "opened_on": "2026-05-01", "closed_on": "2026-04-01", "owner_id": str(cast.am1.id)})
    assert "before the open date" in response.get_data(as_text=True)


def test_every_program_route_refuses_account_managers(login_as: Any, cast: Any, session: Any,
                                                      world: Any) -> None:
    rule = ProgramRule(name="All")
    session.add(rule)
    session.commit()
    q, d1, i2 = world["question"], world["deal1"], world["interview2"]
    own = login_as(cast.am1)  # deal1 is on am1's account: the role is what refuses
    for path in (f"/taxonomy/{world['price'].id}/edit", f"/guides/{world['guide'].id}",
                 f"/guides/questions/{q.id}/edit"):
        assert own.get(path).status_code == 403, path
    for path in (f"/taxonomy/{world['price'].id}/edit", f"/guides/{world['guide'].id}",
                 f"/guides/questions/{q.id}/edit", f"/guides/questions/{q.id}/move/up",
                 f"/guides/questions/{q.id}/delete", f"/rules/{rule.id}/toggle",
                 f"/deals/{d1.id}/survey", f"/deals/{d1.id}/interviews"):
        assert own.post(path, data={}).status_code == 403, path
    other = login_as(cast.am1)  # interview2 is on account2: not even visible
    assert other.get(f"/interviews/{i2.id}/record").status_code == 404
    assert other.post(f"/interviews/{i2.id}/record", data={}).status_code == 404
    session.refresh(rule)
    assert rule.active is True
    assert len(session.exec(select(GuideQuestion)).all()) == 2


def test_resaving_keeps_ratings_of_retired_factors(login_as: Any, cast: Any, session: Any,
                                                   world: Any) -> None:
    from .factories import make_rating

    interview = world["interview2"]
    retired = make_factor(session, "Old factor", active=False)
    make_rating(session, interview, retired, 3, "win_driver")
    make_rating(session, interview, world["price"], 2)
    session.commit()
    response = login_as(cast.analyst).post(f"/interviews/{interview.id}/record", data={
        "anonymity": "named", "status": "completed", "version": str(interview.version)})
    assert response.status_code == 302, response.get_data(as_text=True)
    left = session.exec(select(FactorRating).where(
        FactorRating.interview_id == interview.id)).all()
    assert [r.factor_id for r in left] == [retired.id]  # price cleared on the form, kept here


def test_edit_guide_factor_question_and_toggle_rule(login_as: Any, cast: Any, session: Any,
                                                    world: Any) -> None:
    from valuetracker.models import InterviewGuide

    client = login_as(cast.admin)
    guide, price, question = world["guide"], world["price"], world["question"]
    response = client.post(f"/guides/{guide.id}", data={
        "guide-name": "Loss interviews", "guide-outcome": "lost", "guide-active": "y",
        "guide-version": str(guide.version)})
    assert response.status_code == 302
    session.refresh(guide)
    assert (guide.name, guide.outcome) == ("Loss interviews", "lost")
    response = client.post(f"/taxonomy/{price.id}/edit", data={
        "category": "Commercial", "name": "Pricing", "position": "3",
        "version": str(price.version)})
    assert response.status_code == 302
    session.refresh(price)
    assert (price.name, price.active) == ("Pricing", False)  # unchecked box retires it
    response = client.post(f"/guides/questions/{question.id}/edit", data={
        "text": "Why us?", "kind": "text", "factor_id": "", "version": str(question.version)})
    assert response.status_code == 302
    session.refresh(question)
    assert question.text == "Why us?"
    client.post("/rules", data={"name": "All losses", "outcome": "lost"})
    rule = session.exec(select(ProgramRule)).one()
    client.post(f"/rules/{rule.id}/toggle", data={"version": str(rule.version)})
    session.refresh(rule)
    assert rule.active is False
    assert client.get("/guides/999").status_code == 404
    assert client.post("/taxonomy/999/edit", data={}).status_code == 404
    assert session.get(InterviewGuide, guide.id) is not None


def test_deals_filtered_by_account_stay_scoped(login_as: Any, cast: Any, world: Any) -> None:
    page = login_as(cast.analyst).get(f"/deals?account={cast.account2.id}").get_data(
        as_text=True)
    assert "Globex renewal" in page and "Acme expansion" not in page
    page = login_as(cast.am1).get(f"/deals?account={cast.account2.id}").get_data(as_text=True)
    assert "Globex renewal" not in page and "No deals match." in page


@pytest.mark.parametrize("query", [
    "page=99999999999999999999", "competitor=99999999999999999999",
    "account=99999999999999999999", "factor=99999999999999999999",
])
def test_huge_numbers_in_list_filters_are_ignored_not_500(login_as: Any, cast: Any,
                                                         world: Any, query: str) -> None:
    """QA: ?competitor=/account=/factor=/page= past the integer range overflowed the driver."""
    client = login_as(cast.analyst)
    for path in ("/deals", "/quotes", "/interviews"):
        assert client.get(f"{path}?{query}").status_code == 200, path


def test_factor_position_with_hundreds_of_digits_is_a_field_error(login_as: Any, cast: Any,
                                                                  session: Any) -> None:
    """QA: a 400-digit position overflowed inside WTForms' NumberRange (500)."""
    client = login_as(cast.analyst)
    response = client.post("/taxonomy", data={"category": "Product", "name": "Features",
                                              "position": "9" * 400})
    assert response.status_code == 200
    assert "Number must be between 0 and 100000." in response.get_data(as_text=True)
    assert session.exec(select(DecisionFactor)).first() is None


def test_the_account_deals_panel_counts_every_deal_beside_the_latest_five(
        app: Any, session: Any, cast: Any) -> None:
    from valuetracker.winloss import account_overview

    from .conftest import sql_statements

    for outcome in ("won", "won", "won", "lost", "lost", "no_decision"):
        make_deal(session, cast.account1, outcome)
    for _ in range(2):
        make_deal(session, cast.account1, "open", closed_on=None)
    make_deal(session, cast.account2, "won")
    session.commit()
    with app.test_request_context(), sql_statements(
            app.extensions["valuetracker.engine"]) as statements:
        overview = account_overview(session, cast.account1)
    assert len(statements) == 2  # the deals with their counts, the interviews
    assert overview["total"] == 8
    assert overview["counts"] == {"won": 3, "lost": 2, "no_decision": 1, "open": 2}
    assert (overview["win_rate"].won, overview["win_rate"].lost) == (3, 2)
    assert [d["deal"].outcome for d in overview["deals"]][:2] == ["open", "open"]
    assert len(overview["deals"]) == 5
    with app.test_request_context():
        empty = account_overview(session, make_account(session, "No deals yet"))
    assert (empty["total"], empty["counts"], empty["deals"]) == (0, {}, [])
