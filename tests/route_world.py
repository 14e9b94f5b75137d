"""The world of the route matrix: which row fills each route argument, how each route is
guarded, and the `world` fixture that makes those rows (account1's value entry,
commitment, pulse, logged activity, links, deal, interview, guide, factor, rule,
summary, jobs, an upload, a task, a notification of am1's, a webhook endpoint with one
delivery, a saved view of am1's). Shared by the permission walk and the form fuzzer;
fixtures are imported by name into the test modules that use them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from valuetracker import api_tokens
from valuetracker.links import create_link, digest_unsubscribe_token, unsubscribe_token
from valuetracker.models import (
    Job,
    Notification,
    ProgramRule,
    SavedView,
    ValueSummary,
    WebhookDelivery,
    WebhookEndpoint,
)

from .factories import (
    make_activity,
    make_commitment,
    make_deal,
    make_entry,
    make_factor,
    make_guide,
    make_interview,
    make_pulse,
    make_signal,
    make_task,
)

# How a route with arguments is guarded:
SCOPED = "scoped"  # rows of an account: outsiders get 404 (existence not revealed)
ROLE = "role"  # the program's or the admins' pages: other roles get 403
PUBLIC = "public"  # signed-link pages: the token is the only key (tested below)
STATIC = "static"  # bundled files
# Lists that hold only the user's own accounts (e.g. a portfolio tier): everyone may open
# them; what they show is scoped, which the area's own tests check.
LISTING = "listing"
# The JSON API (/api/v1): bearer tokens, never the session cookie (tests/test_api_routes.py).
API = "api"

# endpoint -> (guard, {argument: attribute of World that fills it}).
ROUTE_ARGS: dict[str, tuple[str, dict[str, str]]] = {
    "static": (STATIC, {"filename": "static_file"}),
    "portfolio.tier": (LISTING, {"tier": "tier"}),
    # accounts and stakeholders: account1 and its stakeholder
    "accounts.show": (SCOPED, {"slug": "slug"}),
    "accounts.edit": (SCOPED, {"slug": "slug"}),
    "accounts.archive": (SCOPED, {"slug": "slug"}),
    "stakeholders.create": (SCOPED, {"slug": "slug"}),
    "stakeholders.show": (SCOPED, {"stakeholder_id": "stakeholder_id"}),
    "stakeholders.edit": (SCOPED, {"stakeholder_id": "stakeholder_id"}),
    "stakeholders.set_flag": (SCOPED, {"stakeholder_id": "stakeholder_id", "flag": "flag"}),
    "stakeholders.export": (SCOPED, {"stakeholder_id": "stakeholder_id"}),
    "stakeholders.erase": (SCOPED, {"stakeholder_id": "stakeholder_id"}),
    # activity timeline: account1's and its stakeholder's, and a call logged with them
    "activities.account_timeline": (SCOPED, {"slug": "slug"}),
    "activities.stakeholder_timeline": (SCOPED, {"stakeholder_id": "stakeholder_id"}),
    "activities.new": (SCOPED, {"slug": "slug"}),
    "activities.edit": (SCOPED, {"slug": "slug", "activity_id": "activity_id"}),
    "activities.delete": (SCOPED, {"slug": "slug", "activity_id": "activity_id"}),
    # tasks: a task on account1 (am1's); a new one from account1's page
    "tasks.show": (SCOPED, {"task_id": "task_id"}),
    "tasks.edit": (SCOPED, {"task_id": "task_id"}),
    "tasks.change_status": (SCOPED, {"task_id": "task_id", "change": "task_change"}),
    "tasks.comment": (SCOPED, {"task_id": "task_id"}),
    "tasks.new_for_account": (SCOPED, {"slug": "slug"}),
    # value: account1's entry, commitment and link
    "value.overview": (SCOPED, {"slug": "slug"}),
    "value.log": (SCOPED, {"slug": "slug"}),
    "value.new_entry": (SCOPED, {"slug": "slug"}),
    "value.edit_entry": (SCOPED, {"slug": "slug", "entry_id": "entry_id"}),
    "value.delete_entry": (SCOPED, {"slug": "slug", "entry_id": "entry_id"}),
    "value.record_confirmation": (SCOPED, {"slug": "slug", "entry_id": "entry_id"}),
    # (the world's entry is not a described one: these answer "already reviewed")
    "value.review_described": (SCOPED, {"slug": "slug", "entry_id": "entry_id"}),
    "value.dismiss_described": (SCOPED, {"slug": "slug", "entry_id": "entry_id"}),
    "value.new_commitment": (SCOPED, {"slug": "slug"}),
    "value.edit_commitment": (SCOPED, {"slug": "slug", "commitment_id": "commitment_id"}),
    "value.send_link": (SCOPED, {"slug": "slug"}),
    "value.revoke_link": (SCOPED, {"slug": "slug", "link_id": "link_id"}),
    "value.resend_link": (SCOPED, {"slug": "slug", "link_id": "link_id"}),
    "value.record_pulse": (SCOPED, {"slug": "slug"}),
    "value.pulses": (SCOPED, {"slug": "slug"}),
    # summaries: account1's summary; the job am1 started
    "summaries.account": (SCOPED, {"slug": "slug"}),
    "summaries.preview": (SCOPED, {"slug": "slug"}),
    "summaries.generate": (SCOPED, {"slug": "slug"}),
    "summaries.send": (SCOPED, {"slug": "slug"}),
    "summaries.download": (SCOPED, {"slug": "slug", "summary_id": "summary_id"}),
    "summaries.resolve": (SCOPED, {"slug": "slug", "summary_id": "summary_id"}),
    "summaries.retry_failed": (SCOPED, {"slug": "slug"}),
    "jobs.show": (SCOPED, {"job_id": "job_id"}),
    "jobs.retry": (SCOPED, {"job_id": "job_id"}),
    "jobs.progress": (SCOPED, {"job_id": "job_id"}),
    # imports: am1's upload (an upload is its uploader's alone)
    "imports.map_columns": (SCOPED, {"token": "upload_token"}),
    "imports.preview": (SCOPED, {"token": "upload_token"}),
    "imports.run": (SCOPED, {"token": "upload_token"}),
    # win/loss: the deal on account1 and its interview
    "winloss.deal": (SCOPED, {"deal_id": "deal_id"}),
    "winloss.edit_deal": (SCOPED, {"deal_id": "deal_id"}),
    "winloss.debrief": (SCOPED, {"deal_id": "deal_id"}),
    "winloss.interview": (SCOPED, {"interview_id": "interview_id"}),
    "winloss.record_interview": (SCOPED, {"interview_id": "interview_id"}),
    # Running the program is not an account manager's job at all: 403 before any lookup.
    "winloss.send_survey_mail": (ROLE, {"deal_id": "deal_id"}),
    "winloss.withdraw_survey": (ROLE, {"deal_id": "deal_id", "link_id": "survey_link_id"}),
    "winloss.request_interview": (ROLE, {"deal_id": "deal_id"}),
    "winloss.guide": (ROLE, {"guide_id": "guide_id"}),
    "winloss.edit_question": (ROLE, {"question_id": "question_id"}),
    "winloss.move_question_view": (ROLE, {"question_id": "question_id",
                                          "direction": "direction"}),
    "winloss.delete_question": (ROLE, {"question_id": "question_id"}),
    "winloss.edit_factor": (ROLE, {"factor_id": "factor_id"}),
    "winloss.toggle_rule": (ROLE, {"rule_id": "rule_id"}),
    # exports: the quarterly export am1 asked for (an export is its requester's alone)
    "exports.show": (SCOPED, {"job_id": "export_job_id"}),
    "exports.status": (SCOPED, {"job_id": "export_job_id"}),
    "exports.download": (SCOPED, {"job_id": "export_job_id"}),
    # admin
    "admin.edit_user": (ROLE, {"user_id": "user_id"}),
    "admin.end_sessions": (ROLE, {"user_id": "user_id"}),
    # webhooks (admins): an endpoint and one delivery in its log
    "webhooks.show_endpoint": (ROLE, {"endpoint_id": "webhook_endpoint_id"}),
    "webhooks.edit_endpoint": (ROLE, {"endpoint_id": "webhook_endpoint_id"}),
    "webhooks.enable_endpoint": (ROLE, {"endpoint_id": "webhook_endpoint_id"}),
    "webhooks.disable_endpoint": (ROLE, {"endpoint_id": "webhook_endpoint_id"}),
    "webhooks.rotate_secret": (ROLE, {"endpoint_id": "webhook_endpoint_id"}),
    "webhooks.delete_endpoint": (ROLE, {"endpoint_id": "webhook_endpoint_id"}),
    "webhooks.replay_delivery": (ROLE, {"endpoint_id": "webhook_endpoint_id",
                                        "delivery_id": "webhook_delivery_id"}),
    # signed links for stakeholders, who never log in
    "public.confirm": (PUBLIC, {"token": "confirm_token"}),
    "public.pulse": (PUBLIC, {"token": "pulse_token"}),
    "survey.answer": (PUBLIC, {"token": "survey_token"}),
    # the unsubscribe link of every mail to a stakeholder, and its one-click address
    "public.unsubscribe": (PUBLIC, {"token": "unsubscribe_token"}),
    "public.unsubscribe_one_click": (PUBLIC, {"token": "unsubscribe_token"}),
    # notifications: am1's own (anyone else's is a 404, whatever their role), and the
    # unsubscribe-from-digest link of am1's digest mail
    "notifications.read": (SCOPED, {"notification_id": "notification_id"}),
    "notifications.open_notification": (SCOPED, {"notification_id": "notification_id"}),
    "notifications.unsubscribe_digest": (PUBLIC, {"token": "digest_token"}),
    "notifications.unsubscribe_digest_one_click": (PUBLIC, {"token": "digest_token"}),
    # the JSON API: account1's rows by id
    "api.get_account": (API, {"account_id": "account_id"}),
    "api.update_account": (API, {"account_id": "account_id"}),
    "api.get_stakeholder": (API, {"stakeholder_id": "stakeholder_id"}),
    "api.update_stakeholder": (API, {"stakeholder_id": "stakeholder_id"}),
    "api.get_value_entry": (API, {"entry_id": "entry_id"}),
    "api.update_value_entry": (API, {"entry_id": "entry_id"}),
    "api.delete_value_entry": (API, {"entry_id": "entry_id"}),
    "api.get_commitment": (API, {"commitment_id": "commitment_id"}),
    "api.update_commitment": (API, {"commitment_id": "commitment_id"}),
    "api.get_pulse": (API, {"pulse_id": "pulse_id"}),
    "api.get_deal": (API, {"deal_id": "deal_id"}),
    "api.get_summary": (API, {"summary_id": "summary_id"}),
    "api.get_interview": (API, {"interview_id": "interview_id"}),
    "api.update_interview": (API, {"interview_id": "interview_id"}),
    "api.get_summary_pdf": (API, {"summary_id": "summary_id"}),
    "api.update_deal": (API, {"deal_id": "deal_id"}),
    "api.update_deal_debrief": (API, {"deal_id": "deal_id"}),
    "api.get_signal": (API, {"signal_id": "signal_id"}),
    "api.get_task": (API, {"task_id": "task_id"}),
    "api.update_task": (API, {"task_id": "task_id"}),
    # the API's webhooks (admins; everyone else 403, tests/test_api_routes.py)
    "api.get_webhook": (API, {"endpoint_id": "webhook_endpoint_id"}),
    "api.update_webhook": (API, {"endpoint_id": "webhook_endpoint_id"}),
    "api.delete_webhook": (API, {"endpoint_id": "webhook_endpoint_id"}),
    "api.rotate_webhook_secret": (API, {"endpoint_id": "webhook_endpoint_id"}),
    "api.list_webhook_deliveries": (API, {"endpoint_id": "webhook_endpoint_id"}),
    # a user's own API tokens (someone else's: 404)
    "api_tokens.revoke": (SCOPED, {"token_id": "api_token_id"}),
    # a user's own saved views (someone else's: 404)
    "saved_views.open_view": (SCOPED, {"view_id": "saved_view_id"}),
    "saved_views.rename": (SCOPED, {"view_id": "saved_view_id"}),
    "saved_views.delete": (SCOPED, {"view_id": "saved_view_id"}),
    # the API's job status: am1's summaries job (someone else's: 404)
    "api.get_job": (API, {"job_id": "job_id"}),
    "api.delete_stakeholder": (API, {"stakeholder_id": "stakeholder_id"}),
    "api.list_task_comments": (API, {"task_id": "task_id"}),
    "api.create_task_comment": (API, {"task_id": "task_id"}),
    "accounts.account_signals": (SCOPED, {"slug": "slug"}),
}

# API routes for admins alone: any other token gets 403, not 404 (nothing is an account's).
API_ADMIN_ONLY = {"api.list_webhooks", "api.get_webhook", "api.create_webhook",
                  "api.update_webhook", "api.delete_webhook", "api.rotate_webhook_secret",
                  "api.list_webhook_deliveries"}
# POSTs a leader may make ("leaders read everything, analytics, exports, send summaries").
LEADER_POSTS = {"summaries.generate", "summaries.send", "summaries.generate_portfolio",
                "summaries.send_portfolio",
                "summaries.resolve", "summaries.retry_failed", "jobs.retry",
                "exports.index", "auth.login", "auth.logout",
                # everyone's own notifications and preferences (another's: 404)
                "notifications.read", "notifications.open_notification",
                "notifications.read_all", "notifications.preferences",
                # every user manages their own API tokens (someone else's: 404)
                "api_tokens.index", "api_tokens.revoke",
                # every user saves, renames and deletes their own views (another's: 404)
                "saved_views.create", "saved_views.rename", "saved_views.delete",
                # leaders reassign the owners of accounts and deals (bulk, on the lists)
                "accounts.bulk", "winloss.deals_bulk"}
# Blueprints whose every change is an account editor's (analysts only read them).
ACCOUNT_DATA_BLUEPRINTS = ("accounts", "stakeholders", "activities", "value", "tasks")
# Query strings that make a GET do its real work (otherwise it may stop early).
QUERY = {"summaries.preview": "?stakeholder=internal", "search.index": "?q=acme"}


@dataclass
class World:
    """Ids of account1's rows (and program rows) that fill the route arguments."""

    slug: str
    stakeholder_id: int
    entry_id: int
    commitment_id: int
    link_id: int
    deal_id: int
    interview_id: int
    guide_id: int
    question_id: int
    factor_id: int
    rule_id: int
    summary_id: int
    job_id: int
    export_job_id: int
    user_id: int
    upload_token: str
    confirm_token: str
    pulse_token: str
    survey_token: str
    survey_link_id: int
    unsubscribe_token: str
    activity_id: int
    task_id: int
    notification_id: int
    digest_token: str
    account_id: int
    pulse_id: int
    api_token_id: int
    webhook_endpoint_id: int
    webhook_delivery_id: int
    saved_view_id: int
    signal_id: int
    flag: str = "key"
    direction: str = "down"
    static_file: str = "css/app.css"
    tier: str = "keep"
    task_change: str = "done"


@pytest.fixture
def world(app: Flask, cast: Any, session: Any) -> World:
    account, person = cast.account1, cast.stakeholder1
    entry = make_entry(session, account, beneficiaries=(person,))
    commitment = make_commitment(session, account, due_on=date(2026, 12, 31))
    pulse = make_pulse(session, person)
    token_row, _token = api_tokens.create_token(session, cast.am1, name="am1's token")
    activity = make_activity(session, account, people=(person,), author=cast.am1)
    task = make_task(session, account, stakeholder=person, assignee=cast.am1)
    signal = make_signal(session, account, stakeholder=person)
    deal = make_deal(session, account, outcome="won", owner_id=cast.am1.id)
    interview = make_interview(session, deal, person, anonymity="anonymized")
    factor = make_factor(session, "Price")
    guide = make_guide(session, factor=factor)
    question_id = session.exec(sa.text(
        "SELECT id FROM guide_question WHERE guide_id = :g ORDER BY position"),
        params={"g": guide.id}).first()[0]
    rule = ProgramRule(name="Big losses", outcome="lost")
    job = Job(kind="summaries", status="done", created_by_id=cast.am1.id)
    export_job = Job(kind="quarterly_export", status="done", created_by_id=cast.am1.id,
                     params={"quarter": "2026-Q3", "format": "xlsx", "account_ids": []})
    notification = Notification(user_id=cast.am1.id, event="value.disputed",
                                account_id=account.id, entity="value_entry", entity_id=entry.id,
                                text="Carol Buyer disputed a value entry.",
                                url=f"/accounts/{account.slug}/value/log")
    session.add_all([rule, job, export_job, notification])
    session.flush()
    reports = Path(app.config["REPORTS_DIR"]) / "2026-Q3" / account.slug
    reports.mkdir(parents=True)
    (reports / "carol.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    summary = ValueSummary(account_id=account.id, stakeholder_id=person.id, quarter="2026-Q3",
                           file_path=f"2026-Q3/{account.slug}/carol.pdf", sha256="0" * 64,
                           generated_by_id=cast.am1.id, job_id=job.id)
    session.add(summary)
    with app.app_context():
        link, confirm_token = create_link(session, "confirm_value", stakeholder_id=person.id,
                                          account_id=account.id,
                                          payload={"entry_ids": [entry.id]},
                                          created_by_id=cast.am1.id)
        _pulse_link, pulse_token = create_link(session, "pulse", stakeholder_id=person.id,
                                               account_id=account.id,
                                               created_by_id=cast.am1.id)
        survey_link, survey_token = create_link(session, "buyer_survey", deal_id=deal.id,
                                                 account_id=account.id,
                                                 stakeholder_id=person.id)
        unsubscribe = unsubscribe_token(person.id)
        digest_token = digest_unsubscribe_token(cast.am1.id)
    endpoint = WebhookEndpoint(url="https://hooks.example.com/in", events=["deal.closed"],
                               secret="whsec_" + "A" * 44, created_by_id=cast.admin.id)
    session.add(endpoint)
    session.flush()
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id="msg_world",
                               event="deal.closed", body="{}", status="delivered", attempt=1)
    session.add(delivery)
    saved_view = SavedView(user_id=cast.am1.id, name="My won deals", endpoint="winloss.deals",
                           query="outcome=won")
    session.add(saved_view)
    session.commit()
    # Where the import wizard keeps uploads (views/imports.py).
    upload_dir = Path(app.config.get("UPLOAD_DIR") or Path(app.instance_path) / "uploads")
    upload_dir.mkdir(parents=True, exist_ok=True)
    token = "am1-upload-token-0123456789"
    (upload_dir / f"{token}.csv").write_text("name,segment\nInitech,SMB\n", encoding="utf-8")
    (upload_dir / f"{token}.json").write_text(json.dumps(
        {"kind": "accounts", "user_id": cast.am1.id, "filename": "accounts.csv",
         "mapping": None, "date_format": "", "value_map": ""}), encoding="utf-8")
    return World(
        slug=account.slug, stakeholder_id=person.id, entry_id=entry.id,
        commitment_id=commitment.id, link_id=link.id, deal_id=deal.id,
        interview_id=interview.id, guide_id=guide.id, question_id=question_id,
        factor_id=factor.id, rule_id=rule.id, summary_id=summary.id, job_id=job.id,
        export_job_id=export_job.id, user_id=cast.am1.id, upload_token=token,
        confirm_token=confirm_token, pulse_token=pulse_token, survey_token=survey_token,
        survey_link_id=survey_link.id, unsubscribe_token=unsubscribe,
        activity_id=activity.id, task_id=task.id, notification_id=notification.id,
        digest_token=digest_token, account_id=account.id, pulse_id=pulse.id,
        api_token_id=token_row.id, webhook_endpoint_id=endpoint.id,
        webhook_delivery_id=delivery.id, saved_view_id=saved_view.id,
        signal_id=signal.id)


def all_rules(app: Flask) -> list[Any]:
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def route_url(app: Flask, rule: Any, world: World) -> str:
    """The rule's URL with its arguments filled from the world (per ROUTE_ARGS)."""
    if not rule.arguments:
        return rule.rule + QUERY.get(rule.endpoint, "")
    _guard, fill = ROUTE_ARGS[rule.endpoint]
    values = {arg: getattr(world, fill[arg]) for arg in rule.arguments}
    return rule.build(values, append_unknown=False)[1] + QUERY.get(rule.endpoint, "")


def route_methods(rule: Any) -> list[str]:
    return [m for m in ("GET", "POST", "PATCH", "DELETE") if m in (rule.methods or set())]


def route_guard(rule: Any) -> str | None:
    if rule.endpoint.startswith("api."):
        return API
    return ROUTE_ARGS[rule.endpoint][0] if rule.arguments else None



# Lists across accounts (no route argument) that figures open onto: filtered to account1
# (`?account=`), they hold account1's rows for am1 and none for the outsider am2.
SCOPED_LISTS = ("value_lists.entries", "value_lists.commitments", "winloss.deals",
                "stakeholders.index", "accounts.signal_list", "value_lists.pulses")
