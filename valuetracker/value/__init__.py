"""Value delivery: the value log, confirmations, commitments, pulses and their figures.

Public API for other areas (PDF summaries, exports). `account_ids` is a list of
account ids, a SELECT of ids, or None for every account:

- value_by_driver(session, account_ids=, start=, end=) -> {driver: Decimal}
- value_delivered(session, account_ids=, start=, end=) -> Decimal
- value_periods(session, quarter=, account_ids=) -> ValuePeriods (quarter / year to date /
  total, by driver)
- value_by_quarter(session, quarters=, account_ids=) -> {quarter: {driver: Decimal}}
- value_summary(session, quarter=, account_ids=, through=) -> ValueSummary: all of the
  above plus confirmed share (total, year to date, quarter) in one query; the account
  value page and the PDF summaries both use it
- confirmed_share(session, account_ids=, start=, end=) -> ConfirmedShare(.share)
- on_time_rate(session, account_ids=, start=, end=, today=) -> OnTimeRate(.rate)
- loyalty(session, account_ids=) -> LoyaltyFigures(.nps, .satisfied_not_loyal); nps(...)
- latest_pulses(session, account_id=), is_satisfied_not_loyal(satisfaction, intent)
- margin_tiers(session, account_ids=) -> [TieredAccount(.tier in keep/grow/fix/let_go)]
- value_migration(session, quarters=, account_ids=, segment=), priority_drift(...)
- account_overview(session, account) -> the value page's figures (its panel's too)
- account_panel(session, account) -> the account page's value panel, one statement over
  the value rollups
- driver_chart(by_quarter, title=, width=, legend=) -> value by driver per quarter (web, PDF)
- driver_legend(by_quarter) -> its legend as (driver, colour) pairs, for a legend in HTML (PDF)
- described_entries(session, account_id=) -> value the customer described, waiting for
  review (`ValueEntry.counted_condition()` leaves it out of every figure until then)
"""

from __future__ import annotations

from .commitments import create_commitment, is_overdue, list_commitments, update_commitment
from .described import (
    Described,
    ReviewError,
    describe_value,
    described_entries,
    review_described_entry,
)
from .entries import (
    Page,
    apply_answer,
    beneficiary_ids,
    beneficiary_names,
    create_entry,
    delete_entry,
    entry_choices,
    latest_confirmation_by_entry,
    list_entries,
    recent_confirmations,
    record_confirmation,
    update_entry,
)
from .forms import int_or_none
from .metrics import (
    ConfirmedShare,
    LoyaltyFigures,
    OnTimeRate,
    ValuePeriods,
    ValueSummary,
    confirmed_share,
    is_satisfied_not_loyal,
    latest_pulses,
    loyalty,
    nps,
    on_time_rate,
    value_by_driver,
    value_by_quarter,
    value_delivered,
    value_periods,
    value_summary,
)
from .outreach import (
    VALUE_PURPOSES,
    Answer,
    OutreachError,
    account_stakeholders,
    entries_to_confirm,
    link_entries,
    open_links,
    pulse_history,
    record_pulse,
    resend_link,
    send_link,
    submit_confirmation,
    submit_pulse,
    unreachable_reason,
    validate_ranking,
    withdraw_link,
)
from .overview import (
    account_overview,
    account_panel,
    account_value_page,
    driver_chart,
    driver_legend,
)
from .portfolio import (
    TIER_ORDER,
    TIER_RULE,
    PortfolioOverview,
    TieredAccount,
    margin_tiers,
    portfolio_overview,
    priority_drift,
    segments,
    tiers_grouped,
    value_migration,
)

__all__ = [
    "Described", "ReviewError", "described_entries", "describe_value",
    "review_described_entry",
    "Answer", "ConfirmedShare", "LoyaltyFigures", "OnTimeRate", "OutreachError",
    "VALUE_PURPOSES",
    "Page", "PortfolioOverview", "TIER_ORDER", "TIER_RULE", "TieredAccount",
    "ValuePeriods",
    "account_overview", "account_panel", "account_stakeholders", "account_value_page",
    "apply_answer",
    "beneficiary_ids", "beneficiary_names", "confirmed_share",
    "create_commitment", "create_entry", "delete_entry", "driver_chart", "driver_legend",
    "entries_to_confirm", "entry_choices", "is_overdue", "is_satisfied_not_loyal",
    "latest_confirmation_by_entry", "latest_pulses", "link_entries", "recent_confirmations",
    "list_commitments", "list_entries", "loyalty",
    "margin_tiers", "nps", "portfolio_overview", "on_time_rate", "priority_drift",
    "pulse_history", "record_confirmation", "record_pulse",
    "segments", "send_link", "resend_link", "open_links", "submit_confirmation",
    "submit_pulse", "tiers_grouped",
    "unreachable_reason", "update_commitment", "update_entry", "validate_ranking",
    "value_by_driver", "value_by_quarter", "value_delivered", "value_migration",
    "value_periods", "int_or_none", "value_summary", "ValueSummary", "withdraw_link",
]
