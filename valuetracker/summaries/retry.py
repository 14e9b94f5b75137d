"""Retrying a summaries batch's failed items: the list of what failed (for the job page)
and a new job of exactly those items (the job page's and the account page's "Retry the
failed ones", and `valuetracker summaries retry`). The new job runs like any batch
(`runs`); items already done are not in it, so nobody gets a summary twice.
"""

from __future__ import annotations

from sqlmodel import Session, select

from .. import audit
from ..models import Account, Distribution, Job, Stakeholder, ValueSummary
from .runs import JOB_KIND, item_key


def failed_items(session: Session, job: Job) -> list[dict[str, object]]:
    """The job's failed items, with the stakeholder's name and whether the failure was
    the sending (its Distribution is `failed`), in the job's order (two queries)."""
    from .send import CHANNEL

    failed = (job.result or {}).get("failed", {})
    if not failed:
        return []
    ids = [f["stakeholder_id"] for f in failed.values() if f.get("stakeholder_id")]
    names = dict(session.exec(select(Stakeholder.id, Stakeholder.name)
                              .where(Stakeholder.id.in_(ids))).all()) if ids else {}
    sending = dict(session.exec(
        select(ValueSummary.stakeholder_id, Distribution.status)
        .join(Distribution, Distribution.summary_id == ValueSummary.id)
        .where(ValueSummary.stakeholder_id.in_(ids),
               ValueSummary.quarter == (job.params or {}).get("quarter"),
               ValueSummary.variant == (job.params or {}).get("variant", "stakeholder"),
               Distribution.channel == CHANNEL)).all()) if ids else {}
    rows = []
    for a, s in (job.params or {}).get("items", []):
        entry = failed.get(item_key(a, s))
        if entry is not None:
            rows.append({**entry, "name": names.get(s, "Internal account review") if s
                         else "Internal account review",
                         "sending_failed": sending.get(s) == "failed"})
    return rows


def create_retry_job(session: Session, job: Job, *, user_id: int | None) -> Job:
    """A new queued job of `job`'s failed items, sent as the first one would have been
    (the caller commits, then `enqueue_job`). Records its audit event.

    The items already done are not in it, so nobody gets a summary twice; each retried
    sending is claimed again from `failed` (`send.send_summary`)."""
    params = job.params or {}
    items = [[f["account_id"], f["stakeholder_id"]]
             for f in (job.result or {}).get("failed", {}).values()]
    if job.status != "failed" or not items:
        raise ValueError(f"job {job.id} has no failed items to retry")
    order = {tuple(i): n for n, i in enumerate(params.get("items", []))}
    items.sort(key=lambda i: order.get(tuple(i), 0))
    return _retry_job(session, items=items, quarter=params["quarter"],
                      variant=params.get("variant", "stakeholder"),
                      send=bool(params.get("send")), account_ids=params.get("account_ids", []),
                      user_id=user_id, retry_of=job.id,
                      summary=f"Retry the {len(items)} failed item(s) of job {job.id}")


def create_failed_sendings_job(session: Session, *, account: Account, quarter: str,
                               user_id: int | None) -> Job:
    """A new queued job that sends again the account's failed sendings of the quarter
    (the caller commits, then `enqueue_job`). Records its audit event."""
    items = [[account.id, s] for s in session.exec(
        select(ValueSummary.stakeholder_id)
        .join(Distribution, Distribution.summary_id == ValueSummary.id)
        .where(ValueSummary.account_id == account.id, ValueSummary.quarter == quarter,
               ValueSummary.variant == "stakeholder", Distribution.status == "failed")
        .order_by(ValueSummary.id)).all()]
    if not items:
        raise ValueError(f"{account.name} has no failed sendings in {quarter}")
    return _retry_job(session, items=items, quarter=quarter, variant="stakeholder",
                      send=True, account_ids=[account.id], user_id=user_id, retry_of=None,
                      summary=f"Retry the {len(items)} failed sending(s) of {account.name}")


def _retry_job(session: Session, *, items: list[list[int | None]], quarter: str,
               variant: str, send: bool, account_ids: list[int], user_id: int | None,
               retry_of: int | None, summary: str) -> Job:
    job = Job(kind=JOB_KIND, total=len(items), created_by_id=user_id,
              params={"quarter": quarter, "variant": variant, "send": send,
                      "regenerate": False, "account_ids": account_ids, "items": items,
                      "retry_of": retry_of},
              result={"skipped": []})
    session.add(job)
    session.flush()
    audit.record(session, "retry", "job", job.id, summary,
                 details={"retry_of": retry_of, "quarter": quarter, "items": items},
                 user_id=user_id)
    return job
