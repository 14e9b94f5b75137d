"""CSV files for import tests, and a realistic CRM deals export with known answers.

`crm_deals_export` builds a messy export the way CRMs write them (stage words in every
case and spacing, US dates, "$12,500.00" amounts, blank accounts on open deals,
competitor aliases) together with the canonical outcome of every row, so tests (and the
win/loss analytics tests) can compute expected figures independently of the importer.
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = False,
              encoding: str = "utf-8") -> bytes:
    """A CSV file's bytes (optionally with a UTF-8 BOM, or in another encoding)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]],
              **kw: Any) -> Path:
    path.write_bytes(csv_bytes(header, rows, **kw))
    return path


# Messy words a CRM writes for each canonical outcome.
OUTCOME_SPELLINGS = {
    "won": ["Closed Won", "closed won", "WON", "Won", " closed  won ", "Closed-Won"],
    "lost": ["Closed Lost", "closed lost", "Lost", "LOST ", "closed-lost"],
    "no_decision": ["No Decision", "Closed - No Decision", "no decision", "NO DECISION"],
    "open": ["Prospecting", "Qualification", "Needs Analysis", "NEGOTIATION", "proposal",
             "Engaging", "Negotiation/Review", "Proposal/Price Quote"],
}
# Competitor spellings: canonical name -> what reps type (aliases seeded by the test).
COMPETITOR_SPELLINGS = {
    "Microsoft": ["Microsoft", "MSFT", "msft", "Microsoft Corp"],
    "Salesforce": ["Salesforce", "SFDC", "salesforce.com"],
    "Oracle": ["Oracle", "ORACLE"],
}
COMPETITOR_ALIASES = {"Microsoft": "MSFT; Microsoft Corp", "Salesforce": "SFDC; salesforce.com",
                      "Oracle": ""}

CRM_HEADER = ["Opportunity ID", "Opportunity Name", "Account Name", "Amount", "Stage",
              "Created Date", "Close Date", "Opportunity Owner", "Product", "Competitors",
              "Primary Competitor", "Lead Source"]
# How the CRM's columns map to the import's fields (--map SRC=FIELD).
CRM_MAP = ["Opportunity ID=external_id", "Opportunity Name=name", "Account Name=account",
           "Stage=outcome", "Created Date=opened_on", "Close Date=closed_on",
           "Opportunity Owner=owner"]


@dataclass
class CrmExport:
    """The export's bytes and, per row, what the importer should make of it."""

    content: bytes
    rows: list[dict[str, Any]] = field(default_factory=list)

    def outcome_counts_by_segment(self) -> Counter[tuple[str | None, str]]:
        """(segment, outcome) -> number of deals, computed from the generated rows."""
        return Counter((r["segment"], r["outcome"]) for r in self.rows)


def crm_deals_export(accounts: Sequence[tuple[str, str]], owners: Sequence[str], *,
                     n: int = 3000, seed: int = 7, amount_bump: int = 0) -> CrmExport:
    """A CRM export of `n` deals over `accounts` [(name, segment)] owned by `owners`.

    `amount_bump` changes every amount (a re-import that updates). Dates are US
    (MM/DD/YYYY) with days past 12, so the column is unambiguous.
    """
    rng = random.Random(seed)
    outcomes = ["won"] * 30 + ["lost"] * 35 + ["no_decision"] * 10 + ["open"] * 25
    start = date(2025, 1, 1)
    rows: list[list[Any]] = []
    expected: list[dict[str, Any]] = []
    for i in range(1, n + 1):
        outcome = rng.choice(outcomes)
        account, segment = rng.choice(accounts)
        if outcome == "open" and rng.random() < 0.3:
            account, segment = "", None
        opened = start + timedelta(days=rng.randrange(0, 500))
        closed = opened + timedelta(days=rng.randrange(10, 120))
        amount = Decimal(rng.randrange(1000, 200000)) + Decimal(amount_bump)
        amount_text = rng.choice([f"${amount:,.2f}", f"{amount:,.2f}", f"{amount}",
                                  f"$ {amount:,}"])
        competitors = rng.sample(list(COMPETITOR_SPELLINGS), rng.randrange(0, 3))
        spelled = [rng.choice(COMPETITOR_SPELLINGS[c]) for c in competitors]
        primary = spelled[0] if spelled and rng.random() < 0.7 else ""
        rows.append([
            f"OPP-{i:05d}",
            f"Deal {i}",
            account,
            amount_text,
            rng.choice(OUTCOME_SPELLINGS[outcome]),
            opened.strftime("%m/%d/%Y"),
            closed.strftime("%m/%d/%Y") if outcome != "open" or rng.random() < 0.5 else "",
            rng.choice(owners),
            rng.choice(["Platform", "Analytics", "Add-on"]),
            ";".join(spelled),
            primary,
            rng.choice(["Web", "Referral", "Event"]),
        ])
        expected.append({
            "external_id": f"OPP-{i:05d}", "outcome": outcome, "segment": segment,
            "amount": amount, "competitors": set(competitors),
            "primary": next((c for c in competitors if primary and primary
                             in COMPETITOR_SPELLINGS[c]), None),
        })
    return CrmExport(csv_bytes(CRM_HEADER, rows), expected)


# Sample exports as Salesforce (report export, US locale) and HubSpot (export with a
# BOM, ISO dates with times) write them: tests/data/crm/. The reps Dana Sales and Raj
# Patel are no users of the app; Alice Manager, Ann Analyst and Ada Admin are (the cast).
CRM_SAMPLES = Path(__file__).resolve().parent.parent / "data" / "crm"
CRM_SAMPLE_FILES = {
    ("salesforce", "accounts"): "salesforce_accounts.csv",
    ("salesforce", "stakeholders"): "salesforce_contacts.csv",
    ("salesforce", "deals"): "salesforce_opportunities.csv",
    ("hubspot", "accounts"): "hubspot_companies.csv",
    ("hubspot", "stakeholders"): "hubspot_contacts.csv",
    ("hubspot", "deals"): "hubspot_deals.csv",
}


def crm_sample(preset: str, kind: str) -> Path:
    """The sample export of `preset`'s system for `kind`."""
    return CRM_SAMPLES / CRM_SAMPLE_FILES[(preset, kind)]
