"""The OpenAPI 3.1 document, generated from the code by spectree: each view's route,
docstring and the models below. Request bodies are derived from the web forms the views
validate with (`form_model`), so the document and the validation share one definition.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecuritySchemeData
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    SelectFieldBase,
    SelectMultipleField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from ...events import EVENTS
from ...models import (
    ACCOUNT_STATUSES,
    ANONYMITY,
    BUYING_ROLES,
    COMMITMENT_STATUSES,
    DELIVERY_STATUSES,
    DRIVERS,
    EVIDENCE_STATUSES,
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
from ...tasks.forms import TEXT_MAX, TaskForm
from ...value.forms import CommitmentForm, EntryForm, RecordPulseForm, int_or_none
from ...winloss.forms import DealForm, DebriefForm
from ..accounts import AccountForm
from ..stakeholders import StakeholderForm

MONEY = r"^[0-9]{1,14}(\.[0-9]{1,2})?$"

api = SpecTree(
    # `path`: only what spectree leaves out of the document (the document itself); the app
    # serves it (views/api/__init__.py), without spectree's CDN pages.
    "flask", mode="strict", path="api/v1/openapi", page_templates={},
    title="valuetracker API", version="1",
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    description="The JSON API of valuetracker. Authenticate with a personal token: "
                "`Authorization: Bearer <token>`.",
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(
        type="http", scheme="bearer", description="A personal API token."))],
    security={"bearer": []},
)


# --- request bodies, from the forms -------------------------------------------------------


def _validators(unbound: Any) -> list[Any]:
    given = unbound.kwargs.get("validators")
    if given is None and len(unbound.args) > 1:
        given = unbound.args[1]
    return list(given or [])


def _field_type(unbound: Any) -> Any:
    cls = unbound.field_class
    if issubclass(cls, BooleanField):
        return bool
    if issubclass(cls, SelectMultipleField):
        return list[int]
    if issubclass(cls, SelectFieldBase):
        given = unbound.kwargs.get("choices") or []
        values = [c.value if hasattr(c, "value") else c[0] for c in given]
        numeric = unbound.kwargs.get("coerce") in (int, int_or_none)
        if values and not numeric:
            return Literal[tuple(v for v in values)]  # type: ignore[valid-type]
        return int if numeric else str
    if issubclass(cls, DecimalField):
        return str
    if issubclass(cls, DateField):
        return date
    return str


def form_model(name: str, form_class: type, *, create: bool, skip: tuple[str, ...] = (),
               extra: dict[str, Any] | None = None) -> type[BaseModel]:
    """A pydantic model of the JSON body that `form_class` validates: its fields, their
    types and choices, lengths and (on create) which are required."""
    definitions: dict[str, Any] = {}
    for field_name in dir(form_class):
        unbound = getattr(form_class, field_name)
        if not hasattr(unbound, "field_class") or field_name in ("version", *skip):
            continue
        kind = _field_type(unbound)
        validators = _validators(unbound)
        options: dict[str, Any] = {}
        for v in validators:
            if isinstance(v, Length) and v.max and v.max > 0:
                options["max_length"] = v.max
        if issubclass(unbound.field_class, DecimalField):
            options["pattern"] = MONEY
        required = create and any(isinstance(v, (DataRequired, InputRequired))
                                  for v in validators)
        if required:
            if kind is str and "max_length" in options:
                options.setdefault("min_length", 1)
            definitions[field_name] = (kind, Field(..., **options))
        else:
            definitions[field_name] = (kind | None, Field(None, **options))
    definitions.update(extra or {})
    return create_model(name, __config__=ConfigDict(extra="forbid"), **definitions)


ACCOUNT_REF = (int | str, Field(..., description="The account's id or slug."))

AccountCreate = form_model("AccountCreate", AccountForm, create=True,
                           skip=("owner_id", "member_ids"))
AccountUpdate = form_model("AccountUpdate", AccountForm, create=False,
                           skip=("owner_id", "member_ids"))
StakeholderCreate = form_model("StakeholderCreate", StakeholderForm, create=True,
                               extra={"account": ACCOUNT_REF})
StakeholderUpdate = form_model("StakeholderUpdate", StakeholderForm, create=False)
ValueEntryCreate = form_model("ValueEntryCreate", EntryForm, create=True,
                              extra={"account": ACCOUNT_REF})
ValueEntryUpdate = form_model("ValueEntryUpdate", EntryForm, create=False)
CommitmentCreate = form_model("CommitmentCreate", CommitmentForm, create=True,
                              extra={"account": ACCOUNT_REF})
CommitmentUpdate = form_model("CommitmentUpdate", CommitmentForm, create=False)
DealCreate = form_model("DealCreate", DealForm, create=True, skip=("account_id",),
                        extra={"account": (int | str | None, Field(None))})
DealUpdate = form_model("DealUpdate", DealForm, create=False, skip=("account_id",),
                        extra={"account": (int | str | None, Field(None))})
TaskCreate = form_model("TaskCreate", TaskForm, create=True, skip=("account_id",),
                        extra={"account": ACCOUNT_REF})
TaskUpdate = form_model(
    "TaskUpdate", TaskForm, create=False, skip=("account_id",),
    extra={"status": (Literal[tuple(TASK_STATUSES)] | None,  # type: ignore[valid-type]
                      Field(None, description="done, dismissed (with a reason) or open.")),
           "reason": (str | None, Field(None, max_length=5000,
                                        description="Why it is dismissed."))})
DebriefUpdate = form_model("DebriefUpdate", DebriefForm, create=False,
                           extra={"rep_reason_id": (int | None, Field(
                               None, description="A decision factor's id."))})
EventName = Literal[tuple(EVENTS)]  # type: ignore[valid-type]


class WebhookCreate(BaseModel):
    """The web's endpoint form (`views.webhooks.EndpointForm`)."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(..., max_length=2000, description="https:// in production.")
    description: str | None = Field(None, max_length=200)
    events: list[EventName] = Field(..., min_length=1)
    enabled: bool | None = Field(None, description="true unless given.")


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(None, max_length=2000)
    description: str | None = Field(None, max_length=200)
    events: list[EventName] | None = None
    enabled: bool | None = None


PulseCreate = form_model(
    "PulseCreate", RecordPulseForm, create=True, skip=RecordPulseForm.RANK_FIELDS,
    extra={"account": ACCOUNT_REF,
           "driver_ranking": (list[Literal[tuple(DRIVERS)]],  # type: ignore[valid-type]
                              Field(..., min_length=3, max_length=6))})


# --- responses ----------------------------------------------------------------------------

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


def _list_of(item: type[BaseModel]) -> type[BaseModel]:
    return create_model(item.__name__.removesuffix("Item") + "List",
                        items=(list[item], ...),  # type: ignore[valid-type]
                        next=(str | None, Field(..., description="The next page, or null.")))


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


EVIDENCE = EVIDENCE_STATUSES  # the `evidence_status` filter's choices
LIST_QUERY = {"account", "updated_since", "cursor", "limit"}


class ListQuery(BaseModel):
    account: str | None = Field(None, description="An account id or slug.")
    updated_since: datetime | None = None
    cursor: str | None = Field(None, description="From the previous page's `next` link.")
    limit: int | None = Field(None, ge=1, le=200)


class AccountQuery(BaseModel):
    q: str | None = Field(None, max_length=200)
    segment: str | None = None
    tier: str | None = None
    status: str | None = None
    owner: str | None = None
    updated_since: datetime | None = None
    cursor: str | None = None
    limit: int | None = Field(None, ge=1, le=200)


class EntryQuery(ListQuery):
    quarter: str | None = Field(None, description="A quarter such as 2026-Q3.")
    driver: str | None = None
    evidence_status: str | None = None


class CommitmentQuery(ListQuery):
    status: str | None = None


class PulseQuery(ListQuery):
    stakeholder: str | None = None


class IfMatch(BaseModel):
    if_match: str | None = Field(None, alias="If-Match",
                                 description="The ETag you read; a stale one answers 412.")


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


class DealQuery(ListQuery):
    outcome: str | None = None
    q: str | None = Field(None, max_length=100)
    competitor: str | None = None


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


class SummaryQuery(ListQuery):
    quarter: str | None = Field(None, description="A quarter such as 2026-Q3.")


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


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question_id: int = Field(..., description="A question of the interview's guide.")
    value: str | int | None = None


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    factor_id: int = Field(..., description="An active decision factor.")
    rating: int | None = Field(None, ge=1, le=5)
    importance: int | None = Field(None, ge=1, le=5)
    effect: Literal[tuple(FACTOR_EFFECTS)] | None = None  # type: ignore[valid-type]


class QuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., max_length=5000)
    tags: list[str] | str | None = None
    factor_id: int | None = None


class InterviewUpdate(BaseModel):
    """The interview form's fields; `quotes` replaces the interview's quotes."""

    model_config = ConfigDict(extra="forbid")
    stakeholder_id: int | None = None
    contact_name: str | None = Field(None, max_length=200)
    contact_title: str | None = Field(None, max_length=200)
    anonymity: Literal[tuple(ANONYMITY)] | None = None  # type: ignore[valid-type]
    status: Literal[tuple(INTERVIEW_STATUSES)] | None = None  # type: ignore[valid-type]
    channel: str | None = None
    scheduled_for: date | None = None
    completed_on: date | None = None
    primary_reason_id: int | None = None
    notes: str | None = Field(None, max_length=10000)
    answers: list[AnswerIn] | None = None
    ratings: list[RatingIn] | None = None
    quotes: list[QuoteIn] | None = None


class InterviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    deal: int = Field(..., ge=1, le=2**31 - 1, description="The deal's id.")


class InterviewQuery(ListQuery):
    deal: str | None = None
    status: str | None = None


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


class SignalQuery(BaseModel):
    account: str | None = Field(None, description="An account id or slug.")
    kind: str | None = None
    severity: str | None = None
    open: Literal["true", "false"] | None = None
    cursor: str | None = Field(None, description="From the previous page's `next` link.")
    limit: int | None = Field(None, ge=1, le=200)


class TaskCommentItem(BaseModel):
    id: int
    task_id: int
    text: str
    author_id: int | None
    author: str | None
    created_at: Stamp


class TaskCommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., min_length=1, max_length=TEXT_MAX)


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


class TaskQuery(BaseModel):
    account: str | None = Field(None, description="An account id or slug.")
    assignee: str | None = Field(None, description="A user id or email.")
    status: str | None = None
    cursor: str | None = Field(None, description="From the previous page's `next` link.")
    limit: int | None = Field(None, ge=1, le=200)


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


class PageQuery(BaseModel):
    cursor: str | None = Field(None, description="From the previous page's `next` link.")
    limit: int | None = Field(None, ge=1, le=200)


class WebhookQuery(PageQuery):
    updated_since: datetime | None = None


AccountKeys = int | str | list[int | str]


class SummariesGenerate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quarter: str = Field(..., min_length=1, description="A quarter such as 2026-Q3.")
    account: AccountKeys | None = Field(
        None, description="An account's id or slug, or a list; none: the whole portfolio.")
    variant: Literal["stakeholder", "internal"] | None = None
    send: bool | None = Field(None, description="Send each summary when generated.")


class SummariesSend(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quarter: str = Field(..., min_length=1, description="A quarter such as 2026-Q3.")
    account: AccountKeys | None = Field(
        None, description="An account's id or slug, or a list; none: the whole portfolio.")


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


# operation -> (item model, body model, query model)
OPERATIONS: dict[str, tuple[Any, Any, Any]] = {
    "list_accounts": (_list_of(AccountItem), None, AccountQuery),
    "get_account": (AccountItem, None, None),
    "create_account": (AccountItem, AccountCreate, None),
    "update_account": (AccountItem, AccountUpdate, None),
    "list_stakeholders": (_list_of(StakeholderItem), None, ListQuery),
    "get_stakeholder": (StakeholderItem, None, None),
    "create_stakeholder": (StakeholderItem, StakeholderCreate, None),
    "update_stakeholder": (StakeholderItem, StakeholderUpdate, None),
    "list_value_entries": (_list_of(ValueEntryItem), None, EntryQuery),
    "get_value_entry": (ValueEntryItem, None, None),
    "create_value_entry": (ValueEntryItem, ValueEntryCreate, None),
    "update_value_entry": (ValueEntryItem, ValueEntryUpdate, None),
    "delete_value_entry": (None, None, None),
    "list_commitments": (_list_of(CommitmentItem), None, CommitmentQuery),
    "get_commitment": (CommitmentItem, None, None),
    "create_commitment": (CommitmentItem, CommitmentCreate, None),
    "update_commitment": (CommitmentItem, CommitmentUpdate, None),
    "list_deals": (_list_of(DealItem), None, DealQuery),
    "get_deal": (DealItem, None, None),
    "create_deal": (DealItem, DealCreate, None),
    "update_deal": (DealItem, DealUpdate, None),
    "update_deal_debrief": (DealItem, DebriefUpdate, None),
    "list_summaries": (_list_of(SummaryItem), None, SummaryQuery),
    "get_summary": (SummaryItem, None, None),
    "get_summary_pdf": (None, None, None),
    "list_interviews": (_list_of(InterviewItem), None, InterviewQuery),
    "get_interview": (InterviewItem, None, None),
    "update_interview": (InterviewItem, InterviewUpdate, None),
    "list_pulses": (_list_of(PulseItem), None, PulseQuery),
    "get_pulse": (PulseItem, None, None),
    "create_pulse": (PulseItem, PulseCreate, None),
    "list_signals": (_list_of(SignalItem), None, SignalQuery),
    "get_signal": (SignalItem, None, None),
    "list_tasks": (_list_of(TaskItem), None, TaskQuery),
    "get_task": (TaskItem, None, None),
    "create_task": (TaskItem, TaskCreate, None),
    "update_task": (TaskItem, TaskUpdate, None),
    "list_webhooks": (_list_of(WebhookItem), None, WebhookQuery),
    "get_webhook": (WebhookItem, None, None),
    "create_webhook": (WebhookWithSecret, WebhookCreate, None),
    "update_webhook": (WebhookItem, WebhookUpdate, None),
    "delete_webhook": (None, None, None),
    "rotate_webhook_secret": (WebhookWithSecret, None, None),
    "list_webhook_deliveries": (_list_of(DeliveryItem), None, PageQuery),
    "generate_summaries": (JobItem, SummariesGenerate, None),
    "send_summaries": (JobItem, SummariesSend, None),
    "get_job": (JobItem, None, None),
    "delete_stakeholder": (None, None, None),
    "create_interview": (InterviewItem, InterviewCreate, None),
    "list_task_comments": (_list_of(TaskCommentItem), None, PageQuery),
    "create_task_comment": (TaskCommentItem, TaskCommentCreate, None),
}
TAGS = {"account": "accounts", "stakeholder": "stakeholders", "value_entr": "value entries",
        "commitment": "commitments", "pulse": "pulses", "deal": "deals",
        "summar": "summaries", "interview": "interviews", "signal": "signals",
        "task": "tasks", "webhook": "webhooks", "job": "jobs"}


def doc(operation: str, *, write: bool = False, created: bool = False,
        deleted: bool = False, accepted: bool = False) -> Callable[[Any], Any]:
    """Describe a view in the OpenAPI document (spectree, without its own validation:
    the forms validate)."""
    item, body, query = OPERATIONS[operation]
    # 403 on reads too: the program's pages (interviews) are refused to some roles.
    codes: dict[str, Any] = {"HTTP_401": Problem, "HTTP_400": Problem, "HTTP_403": Problem,
                             "HTTP_404": Problem, "HTTP_422": Problem, "HTTP_429": Problem}
    if deleted:
        codes["HTTP_204"] = None
    elif accepted:  # a job started: its progress, and where to follow it
        codes["HTTP_202"] = item
    else:
        codes["HTTP_201" if created else "HTTP_200"] = item
    if write:
        codes.update(HTTP_409=Problem, HTTP_412=Problem, HTTP_415=Problem)
    tag = next(t for key, t in TAGS.items() if key in operation)
    headers = IfMatch if write and not (created or accepted) else None
    return api.validate(json=body, query=query, headers=headers, resp=Response(**codes),
                        tags=[tag], operation_id=operation, skip_validation=True)


def document(base_url: str) -> dict[str, Any]:
    """The spec for this server: problems as application/problem+json, ETag and Location
    headers, the server's address."""
    import copy

    spec = copy.deepcopy(api.spec)
    spec["servers"] = [{"url": base_url}]
    for path in spec["paths"].values():
        for op in path.values():
            for code, response in op.get("responses", {}).items():
                content = response.get("content", {})
                if code.startswith(("4", "5")) and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
                if code in ("200", "201") and op["operationId"].startswith(
                        ("get_", "create_", "update_")):
                    response.setdefault("headers", {})["ETag"] = {
                        "schema": {"type": "string"}, "description": "The item's version."}
                if op["operationId"] == "get_summary_pdf" and code == "200":
                    response["content"] = {"application/pdf": {
                        "schema": {"type": "string", "format": "binary"}}}
                if code == "201":
                    response["headers"]["Location"] = {"schema": {"type": "string"},
                                                       "description": "The new item's URL."}
                if code == "202":
                    response.setdefault("headers", {})["Location"] = {
                        "schema": {"type": "string"}, "description": "The job's status URL."}
    return spec
