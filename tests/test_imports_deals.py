"""Importing deals: CRM outcome words, value maps, competitors, a realistic export."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from valuetracker.models import (
    Account,
    AuditEvent,
    Competitor,
    Deal,
    DealCompetitor,
    ProgramRule,
    WinLossInterview,
)

from .conftest import count_rows, run_import
from .factories import make_account, make_guide
from .factories.csv_files import (
    COMPETITOR_ALIASES,
    CRM_MAP,
    crm_deals_export,
    write_csv,
)

HEADER = ["external_id", "account", "name", "amount", "owner", "closed_on", "outcome",
          "competitors", "primary_competitor"]


def maps(items: list[str]) -> list[str]:
    return [arg for item in items for arg in ("--map", item)]


def test_unknown_outcome_words_stop_and_value_map_fixes(runner: Any, session: Any, cast: Any,
                                                        tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", HEADER, [
        ["D-1", "Acme Corp", "Big one", "$10,000", "Ann Analyst", "06/30/2026", "Signed", "", ""],
        ["D-2", "", "Early", "", "", "", "Discovery", "", ""],
        ["D-3", "Globex", "Gone", "5000", "", "06/30/2026", "Walked away", "", ""],
        ["D-4", "Globex", "Gone too", "5000", "", "06/30/2026", "signed", "", ""],
    ])
    result = run_import(runner, "deals", path)
    assert result.exit_code == 1
    assert ('Unknown outcome words: "Signed" (row 2), "Walked away" (row 4), "signed" (row 5)'
            in result.output)
    assert '--value-map "outcome:Signed=won"' in result.output
    assert count_rows(session, Deal) == 0
    result = run_import(runner, "deals", path, "--value-map", "outcome:signed=won",
                 "--value-map", "outcome:Walked Away=lost")
    assert result.exit_code == 0, result.output
    deals = {d.external_id: d for d in session.exec(select(Deal)).all()}
    assert set(deals) == {"D-1", "D-2", "D-3", "D-4"}, result.output
    assert deals["D-1"].outcome == "won" and deals["D-1"].owner_id == cast.analyst.id
    assert deals["D-2"].outcome == "open" and deals["D-2"].account_id is None
    assert deals["D-3"].outcome == "lost"


def test_closed_deals_need_account_and_close_date(runner: Any, session: Any, cast: Any,
                                                  tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", HEADER, [
        ["D-1", "", "x", "", "", "06/30/2026", "Closed Won", "", ""],
        ["D-2", "Acme Corp", "y", "", "", "", "closed lost", "", ""],
        ["D-3", "Acme Corp", "z", "", "nobody", "", "open", "", ""],
    ])
    result = run_import(runner, "deals", path)
    assert result.exit_code == 1
    assert "row 2, column account: closed deals need an account" in result.output
    assert "row 3, column closed_on: closed deals need a close date" in result.output
    # A rep who is no user is not an error: the name is kept (test_imports_presets.py).
    assert "row 4" not in result.output


def test_competitors_resolve_through_aliases(runner: Any, session: Any, cast: Any,
                                             tmp_path: Path) -> None:
    session.add(Competitor(name="Microsoft", aliases="MSFT"))
    session.commit()
    path = write_csv(tmp_path / "d.csv", HEADER, [
        ["D-1", "Acme Corp", "x", "", "", "06/30/2026", "lost", "msft; Newco", "MSFT"],
    ])
    assert run_import(runner, "deals", path).exit_code == 0
    deal = session.exec(select(Deal)).one()
    names = {c.id: c.name for c in session.exec(select(Competitor)).all()}
    assert names[deal.primary_competitor_id] == "Microsoft"
    linked = session.exec(select(DealCompetitor.competitor_id)).all()
    assert sorted(names[c] for c in linked) == ["Microsoft", "Newco"]
    assert "0 created, 0 updated, 1 unchanged" in run_import(runner, "deals", path).output


def _segment_outcomes(session: Any) -> Counter[tuple[str | None, str]]:
    rows = session.exec(
        select(Account.segment, Deal.outcome, func.count())
        .select_from(Deal).join(Account, Account.id == Deal.account_id, isouter=True)
        .group_by(Account.segment, Deal.outcome)
    ).all()
    return Counter({(segment, outcome): n for segment, outcome, n in rows})


def test_realistic_crm_export_imports_and_reimports(runner: Any, session: Any, cast: Any,
                                                    tmp_path: Path) -> None:
    accounts = [("Acme Corp", "Enterprise"), ("Globex", "Mid-market")]
    for i in range(8):
        segment = ("Enterprise", "Mid-market", "SMB")[i % 3]
        make_account(session, f"Customer {i}", segment=segment)
        accounts.append((f"Customer {i}", segment))
    for name, aliases in COMPETITOR_ALIASES.items():
        session.add(Competitor(name=name, aliases=aliases or None))
    session.commit()
    owners = ["am1@example.com", "Ann Analyst", "ADMIN@example.com"]
    export = crm_deals_export(accounts, owners, n=3000)
    path = tmp_path / "crm_opportunities.csv"
    path.write_bytes(export.content)

    result = run_import(runner, "deals", path, *maps(CRM_MAP))
    assert result.exit_code == 0, result.output
    assert "3000 created" in result.output
    assert "Ignored unknown columns: Lead Source" in result.output
    expected = export.outcome_counts_by_segment()
    assert _segment_outcomes(session) == expected
    assert {seg for seg, _ in expected} == {"Enterprise", "Mid-market", "SMB", None}
    # Blank accounts only on open deals.
    assert all(outcome == "open" for seg, outcome in expected if seg is None)

    deals = {d.external_id: d for d in session.exec(select(Deal)).all()}
    competitor_names = {c.id: c.name for c in session.exec(select(Competitor)).all()}
    assert sorted(competitor_names.values()) == ["Microsoft", "Oracle", "Salesforce"]
    links: dict[int, set[str]] = {}
    for deal_id, competitor_id in session.exec(
            select(DealCompetitor.deal_id, DealCompetitor.competitor_id)).all():
        links.setdefault(deal_id, set()).add(competitor_names[competitor_id])
    for row in export.rows[:300]:
        deal = deals[row["external_id"]]
        assert deal.amount == row["amount"]
        assert links.get(deal.id, set()) == row["competitors"]
        primary = competitor_names.get(deal.primary_competitor_id)
        assert primary == row["primary"]

    # Re-import the same export: no duplicates, nothing changed.
    result = run_import(runner, "deals", path, *maps(CRM_MAP))
    assert "0 created, 0 updated, 3000 unchanged" in result.output, result.output
    # A later export with new amounts updates every deal, still no duplicates.
    path.write_bytes(crm_deals_export(accounts, owners, n=3000, amount_bump=7).content)
    result = run_import(runner, "deals", path, *maps(CRM_MAP))
    assert "0 created, 3000 updated" in result.output, result.output
    assert count_rows(session, Deal) == 3000
    assert _segment_outcomes(session) == expected

    # The win/loss figures of the imported deals equal a computation done here from the
    # generated rows: won / (won + lost + no_decision) per segment.
    from valuetracker.winloss import win_rates_by_segment

    with runner.app.app_context():
        rows = {r.group: r for r in win_rates_by_segment(session)}
    for segment in ("Enterprise", "Mid-market", "SMB"):
        won = expected[(segment, "won")]
        closed = won + expected[(segment, "lost")] + expected[(segment, "no_decision")]
        assert rows[segment].won == won
        assert rows[segment].closed == closed
        assert abs(rows[segment].win_rate - won / closed) < 1e-9
        assert rows[segment].small_sample is (closed < 10)


def _interviews(session: Any) -> list[tuple[str, int | None, int | None]]:
    session.expire_all()
    return sorted(session.exec(
        select(Deal.external_id, WinLossInterview.rule_id, WinLossInterview.guide_id)
        .join(Deal, Deal.id == WinLossInterview.deal_id)).all())


def test_imported_closed_deals_get_interview_requests_once(runner: Any, session: Any,
                                                           cast: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", HEADER, [
        ["D-0", "Acme Corp", "Closed before the rule", "9000", "", "2026-03-01", "lost", "", ""],
    ])
    assert run_import(runner, "deals", path).exit_code == 0
    rule = ProgramRule(name="Big losses", outcome="lost", min_amount=Decimal("5000"))
    guide = make_guide(session, outcome="lost")
    session.add(rule)
    session.commit()
    rows = [
        ["D-0", "Acme Corp", "Closed before the rule", "9500", "", "2026-03-01", "lost", "", ""],
        ["D-1", "Acme Corp", "Big loss", "10000", "", "2026-06-30", "lost", "", ""],
        ["D-2", "Globex", "Another loss", "7000", "", "2026-06-30", "closed lost", "", ""],
        ["D-3", "Globex", "Small loss", "100", "", "2026-06-30", "lost", "", ""],
        ["D-4", "Globex", "A win", "50000", "", "2026-06-30", "won", "", ""],
        ["D-5", "Acme Corp", "Still open", "80000", "", "", "open", "", ""],
    ]
    path = write_csv(tmp_path / "d.csv", HEADER, rows)
    assert run_import(runner, "deals", path, "--dry-run").exit_code == 0
    assert _interviews(session) == []

    result = run_import(runner, "deals", path)
    assert result.exit_code == 0, result.output
    # D-0 was already closed (only its amount changed): the program did not ask for it.
    assert _interviews(session) == [("D-1", rule.id, guide.id), ("D-2", rule.id, guide.id)]
    assert "2 buyer interviews requested" in result.output
    assert session.exec(select(AuditEvent).where(AuditEvent.entity == "interview")).one()

    # Re-importing the same file requests nothing new.
    assert run_import(runner, "deals", path).exit_code == 0
    assert len(_interviews(session)) == 2
    # Closing the open deal by import requests its interview, once.
    rows[-1] = ["D-5", "Acme Corp", "Still open", "80000", "", "2026-07-01", "lost", "", ""]
    path = write_csv(tmp_path / "d.csv", HEADER, rows)
    assert run_import(runner, "deals", path).exit_code == 0
    assert run_import(runner, "deals", path).exit_code == 0
    assert [e for e, _r, _g in _interviews(session)] == ["D-1", "D-2", "D-5"]


def test_updating_deals_by_import_bumps_their_version(runner: Any, session: Any, cast: Any,
                                                      tmp_path: Path) -> None:
    row = ["D-1", "Acme Corp", "Big one", "10000", "", "2026-06-30", "won", "", ""]
    path = write_csv(tmp_path / "d.csv", HEADER, [row])
    assert run_import(runner, "deals", path).exit_code == 0
    assert run_import(runner, "deals", path).exit_code == 0  # unchanged: same version

    def version() -> int:
        session.expire_all()
        return session.exec(select(Deal.version).where(Deal.external_id == "D-1")).one()

    assert version() == 1
    path = write_csv(tmp_path / "d.csv", HEADER, [[*row[:3], "12000", *row[4:]]])
    assert run_import(runner, "deals", path).exit_code == 0
    assert version() == 2  # a deal form opened before the import now reports a conflict
    path = write_csv(tmp_path / "d.csv", HEADER, [[*row[:7], "Oracle", "Oracle"]])
    assert run_import(runner, "deals", path).exit_code == 0
    assert version() == 3  # competitors changed (and the amount back)
