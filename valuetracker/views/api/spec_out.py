"""What the API answers, as the OpenAPI document (`spec.py`) describes it: each
resource's item, and the RFC 9457 problem every error answers with.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from ...models import (
    ACCOUNT_STATUSES,
    ANONYMITY,
    BUYING_ROLES,
    COMMITMENT_STATUSES,
    DELIVERY_STATUSES,
    DRIVERS,
    FACTOR_EFFECTS,
    HEALTH_BANDS,
    INTERVIEW_STATUSES,
    OUTCOMES,
    REPURCHASE_INTENTS,
    SENTIMENTS,
    SEVERITIES,
    TASK_STATUSES,
    TIERS,
    UNITS,
)

Money = str | None
Stamp = datetime


class AccountItem(BaseModel):
    id: int
    slug: str
    name: str
    segment: str | None
    industry: str | None
    tier: Literal[tuple(TIERS)]  # type: ignore[valid-type]
    status: Literal[tuple(ACCOUNT_STATUSES)]  # type: ignore[valid-type]
    annual_revenue: Money
    cost_to_serve: Money
    renewal_date: date | None
    external_id: str | None
    owner_id: int | None
    owner_email: str | None
    health_score: int = Field(..., ge=0, le=100)
    health_band: Literal[tuple(HEALTH_BANDS)]  # type: ignore[valid-type]
    version: int
    created_at: Stamp
    updated_at: Stamp


class StakeholderItem(BaseModel):
    id: int
    account: str
    account_id: int
    name: str
    title: str | None
    email: str | None
    phone: str | None
    buying_role: Literal[tuple(BUYING_ROLES)]  # type: ignore[valid-type]
    influence: int
    sentiment: Literal[tuple(SENTIMENTS)]  # type: ignore[valid-type]
    is_key: bool
    reports_to_id: int | None
    preferences: str | None
    notes: str | None
    preferred_channel: str | None
    external_id: str | None
    opted_out: bool
    opted_out_at: Stamp | None
    left_company: bool
    left_company_at: Stamp | None
    last_contacted_on: date | None
    version: int
    created_at: Stamp
    updated_at: Stamp


class Confirmation(BaseModel):
    id: int
    stakeholder_id: int | None
    response: str
    adjusted_amount: Money
    comment: str | None
    method: str
    responded_at: Stamp


class ValueEntryItem(BaseModel):
    id: int
    account: str
    account_id: int
    title: str
    description: str | None
    driver: Literal[tuple(DRIVERS)] | None  # type: ignore[valid-type]
    amount: Money
    unit: Literal[tuple(UNITS)]  # type: ignore[valid-type]
    delivered_on: date
    evidence_status: str
    source: str | None
    commitment_id: int | None
    beneficiaries: list[int]
    confirmations: list[Confirmation]
    version: int
    created_at: Stamp
    updated_at: Stamp


class CommitmentItem(BaseModel):
    id: int
    account: str
    account_id: int
    title: str
    description: str | None
    driver: Literal[tuple(DRIVERS)]  # type: ignore[valid-type]
    expected_amount: Money
    unit: Literal[tuple(UNITS)]  # type: ignore[valid-type]
    due_on: date
    status: Literal[tuple(COMMITMENT_STATUSES)]  # type: ignore[valid-type]
    delivered_on: date | None
    delivered_by: int | None
    version: int
    created_at: Stamp
    updated_at: Stamp


class PulseItem(BaseModel):
    id: int
    account: str
    account_id: int
    stakeholder_id: int
    taken_on: date
    satisfaction: int
    repurchase_intent: Literal[tuple(REPURCHASE_INTENTS)]  # type: ignore[valid-type]
    recommend: int
    positive_emotion: bool
    emotion_text: str | None
    driver_ranking: list[str]
    comment: str | None
    method: str
    created_at: Stamp


class FieldError(BaseModel):
    field: str
    pointer: str
    detail: str


class Problem(BaseModel):
    """An RFC 9457 problem (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class DealItem(BaseModel):
    id: int
    account: str | None
    account_id: int | None
    name: str
    external_id: str | None
    amount: Money
    product: str | None
    owner_id: int | None
    opened_on: date | None
    closed_on: date | None
    outcome: Literal[tuple(OUTCOMES)]  # type: ignore[valid-type]
    competitors: list[str]
    primary_competitor: str | None
    rep_reason_id: int | None
    rep_notes: str | None
    version: int
    created_at: Stamp
    updated_at: Stamp


class Sending(BaseModel):
    channel: str
    recipient: str | None
    status: str
    sent_at: Stamp | None
    error: str | None


class SummaryItem(BaseModel):
    id: int
    account: str
    account_id: int
    stakeholder_id: int | None
    quarter: str
    variant: str
    sha256: str
    generated_at: Stamp
    generated_by_id: int | None
    distributions: list[Sending]
    pdf: str = Field(..., description="The PDF's address.")


class Answer(BaseModel):
    question_id: int | None
    text: str | None
    rating: int | None
    choice: str | None


class Rating(BaseModel):
    factor_id: int
    rating: int | None
    importance: int | None
    effect: Literal[tuple(FACTOR_EFFECTS)]  # type: ignore[valid-type]


class Quote(BaseModel):
    text: str
    factor_id: int | None
    tags: list[str]


class InterviewItem(BaseModel):
    id: int
    deal_id: int
    interviewee: str = Field(..., description="Never a name when anonymized or blind.")
    stakeholder_id: int | None
    status: Literal[tuple(INTERVIEW_STATUSES)]  # type: ignore[valid-type]
    channel: str | None
    anonymity: Literal[tuple(ANONYMITY)]  # type: ignore[valid-type]
    requested_at: Stamp
    scheduled_for: Stamp | None
    completed_at: Stamp | None
    primary_reason_id: int | None
    interviewer_id: int | None
    version: int
    answers: list[Answer]
    ratings: list[Rating]
    quotes: list[Quote]


class SignalItem(BaseModel):
    id: int
    account: str
    account_id: int
    kind: str
    label: str
    severity: Literal[tuple(SEVERITIES)]  # type: ignore[valid-type]
    key: str
    stakeholder_id: int | None
    subject_type: str | None
    subject_id: int | None
    message: str
    since: date
    opened_at: Stamp
    cleared_at: Stamp | None
    open: bool


class TaskCommentItem(BaseModel):
    id: int
    task_id: int
    text: str
    author_id: int | None
    author: str | None
    created_at: Stamp


class TaskItem(BaseModel):
    id: int
    account: str
    account_id: int
    title: str
    stakeholder_id: int | None
    assignee_id: int | None
    assignee_email: str | None
    due_on: date | None
    status: Literal[tuple(TASK_STATUSES)]  # type: ignore[valid-type]
    dismissed_reason: str | None
    source: str
    signal_id: int | None
    play: str | None
    created_by_id: int | None
    created_at: Stamp
    done_at: Stamp | None
    version: int


class WebhookItem(BaseModel):
    id: int
    url: str
    description: str | None
    events: list[str]
    enabled: bool
    failing_since: Stamp | None
    disabled_reason: str | None
    created_by_id: int | None
    version: int
    created_at: Stamp
    updated_at: Stamp


class WebhookWithSecret(WebhookItem):
    secret: str = Field(..., description="The signing secret: shown in this answer only.")


class DeliveryItem(BaseModel):
    id: int
    endpoint_id: int
    event_id: str
    event: str
    status: Literal[tuple(DELIVERY_STATUSES)]  # type: ignore[valid-type]
    attempt: int
    next_attempt_at: Stamp | None
    last_attempt_at: Stamp | None
    response_code: int | None
    duration_ms: int | None
    error: str | None
    replay_of_id: int | None
    created_at: Stamp


class JobItem(BaseModel):
    id: int
    status: str
    done: int
    failed: int
    total: int
    percent: int
    message: str
    note: str | None = Field(None, description="Why it waits (no worker running).")
    status_url: str | None = Field(None, description="Where to follow it (on 202).")


class SearchHit(BaseModel):
    kind: str
    id: int
    title: str
    snippet: str
    title_html: str = Field(description="The title, escaped, the matched words in <mark>.")
    snippet_html: str = Field(description="The snippet, escaped, the matches in <mark>.")
    context: str
    url: str = Field(description="The page it opens in the web app.")


class SearchGroup(BaseModel):
    kind: str
    label: str
    total: int = Field(description="Every match of the kind, not only the items listed.")
    items: list[SearchHit]


class SearchResults(BaseModel):
    query: str
    total: int
    groups: list[SearchGroup]
