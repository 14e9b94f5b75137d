"""The OpenAPI 3.1 document, generated from the code by spectree: each view's route,
docstring and models (`spec_in.py`, what a client sends, its request bodies derived from
the web forms the views validate with; `spec_out.py`, what the API answers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field, create_model
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecuritySchemeData

from .spec_in import (
    AccountCreate,
    AccountQuery,
    AccountUpdate,
    CommitmentCreate,
    CommitmentQuery,
    CommitmentUpdate,
    DealCreate,
    DealQuery,
    DealUpdate,
    DebriefUpdate,
    EntryQuery,
    IfMatch,
    InterviewCreate,
    InterviewQuery,
    InterviewUpdate,
    ListQuery,
    PageQuery,
    PulseCreate,
    PulseQuery,
    SearchQuery,
    SignalQuery,
    StakeholderCreate,
    StakeholderUpdate,
    SummariesGenerate,
    SummariesSend,
    SummaryQuery,
    TaskCommentCreate,
    TaskCreate,
    TaskQuery,
    TaskUpdate,
    ValueEntryCreate,
    ValueEntryUpdate,
    WebhookCreate,
    WebhookQuery,
    WebhookUpdate,
)
from .spec_out import (
    AccountItem,
    CommitmentItem,
    DealItem,
    DeliveryItem,
    InterviewItem,
    JobItem,
    Problem,
    PulseItem,
    SearchResults,
    SignalItem,
    StakeholderItem,
    SummaryItem,
    TaskCommentItem,
    TaskItem,
    ValueEntryItem,
    WebhookItem,
    WebhookWithSecret,
)

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


def _list_of(item: type[BaseModel]) -> type[BaseModel]:
    return create_model(item.__name__.removesuffix("Item") + "List",
                        items=(list[item], ...),  # type: ignore[valid-type]
                        next=(str | None, Field(..., description="The next page, or null.")))


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
    "search": (SearchResults, None, SearchQuery),
}
TAGS = {"account": "accounts", "stakeholder": "stakeholders", "value_entr": "value entries",
        "commitment": "commitments", "pulse": "pulses", "deal": "deals",
        "summar": "summaries", "interview": "interviews", "signal": "signals",
        "task": "tasks", "webhook": "webhooks", "job": "jobs", "search": "search"}


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
