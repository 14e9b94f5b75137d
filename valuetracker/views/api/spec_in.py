"""What an API client sends, as the OpenAPI document (`spec.py`) describes it: request
bodies derived from the web forms the views validate with (`form_model`), so the document
and the validation share one definition; the query and header parameters.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
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
    ANONYMITY,
    DRIVERS,
    EVIDENCE_STATUSES,
    FACTOR_EFFECTS,
    INTERVIEW_STATUSES,
    TASK_STATUSES,
)
from ...tasks.forms import TEXT_MAX, TaskForm
from ...value.forms import CommitmentForm, EntryForm, RecordPulseForm, int_or_none
from ...winloss.forms import DealForm, DebriefForm
from ..accounts import AccountForm
from ..stakeholders import StakeholderForm

MONEY = r"^[0-9]{1,14}(\.[0-9]{1,2})?$"


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


class DealQuery(ListQuery):
    outcome: str | None = None
    q: str | None = Field(None, max_length=100)
    competitor: str | None = None


class SummaryQuery(ListQuery):
    quarter: str | None = Field(None, description="A quarter such as 2026-Q3.")


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


class SignalQuery(BaseModel):
    account: str | None = Field(None, description="An account id or slug.")
    kind: str | None = None
    severity: str | None = None
    open: Literal["true", "false"] | None = None
    cursor: str | None = Field(None, description="From the previous page's `next` link.")
    limit: int | None = Field(None, ge=1, le=200)


class TaskCommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., min_length=1, max_length=TEXT_MAX)


class TaskQuery(BaseModel):
    account: str | None = Field(None, description="An account id or slug.")
    assignee: str | None = Field(None, description="A user id or email.")
    status: str | None = None
    cursor: str | None = Field(None, description="From the previous page's `next` link.")
    limit: int | None = Field(None, ge=1, le=200)


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


class SearchQuery(BaseModel):
    q: str | None = Field(None, max_length=200,
                          description="Words to find; each must match, as a prefix.")
    kind: str | None = Field(None, description="Only this kind (a group's `kind`).")
