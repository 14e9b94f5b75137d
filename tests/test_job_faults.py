"""Summaries batches under faults, reproduced for real: worker nodes killed with `kill -9`
mid-send (no restart), the SMTP server stopped for longer than the retries, a worker
restarted while items wait for their retry; on the SQLite queue and the Redis queue.
Then what a person does about it: resolve a sending of unknown delivery, retry the
failed ones, from the pages (forms submitted as rendered, CSRF on) and the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from valuetracker.jobs import get_huey, job_message, recover_jobs
from valuetracker.models import (
    DELIVERY_UNKNOWN,
    AuditEvent,
    Distribution,
    Job,
    Stakeholder,
    ValueSummary,
    WorkerHeartbeat,
    utcnow,
)
from valuetracker.quarters import parse_quarter
from valuetracker.summaries.runs import (
    create_summaries_job,
    enqueue_job,
    item_key,
    run_summary_item,
)

from .conftest import free_port, wait_until, worker_env
from .factories import make_stakeholder
from .rendered import page_text

VENV_BIN = Path(sys.executable).parent
INTERVAL = 0.5  # the test workers' heartbeat: dead 1.5 s after their last beat


# -- a mail server the test can stop, start again, and hold a message in ------------------


class Mailbox:
    """An aiosmtpd server on a fixed loopback port; `hold_first` makes it keep the first
    summary mail's DATA unanswered for that many seconds (the mail has arrived, the sender
    does not know yet)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.hold_first = 0.0
        self.delay = 0.0
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        if self.hold_first and self._is_summary(msg) and \
                sum(self._is_summary(m) for _r, m in self.messages) == 1:
            await asyncio.sleep(self.hold_first)
        elif self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def recipients(self) -> list[str]:
        return [r for rcpts, _m in self.messages for r in rcpts]

    @property
    def summary_recipients(self) -> list[str]:
        """The recipients of the value summaries' mails (not the account team's
        notifications, which a worker may send at any time)."""
        return [r for rcpts, m in self.messages if self._is_summary(m) for r in rcpts]

    @staticmethod
    def _is_summary(msg: email.message.EmailMessage) -> bool:
        return str(msg["Subject"] or "").startswith("Your value summary")


@pytest.fixture
def mailbox(app_config: dict[str, Any]) -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=box.port)
    yield box
    box.stop()


# -- real worker nodes --------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, app_config: dict[str, Any], redis_url: str,
          tmp_path: Path) -> dict[str, Any]:
    """Tasks wait in the SQLite or the Redis queue; the settings the worker nodes and the
    CLI get through their instance folder's config.py."""
    settings: dict[str, Any] = {"HEARTBEAT_INTERVAL": INTERVAL, "JOB_RETRIES": 2,
                                "JOB_RETRY_DELAY": 3, "DELIVERY_UNKNOWN_AFTER": 600}
    if request.param == "redis":
        settings["HUEY_NAME"] = f"vt-faults-{uuid.uuid4().hex[:8]}"
        app_config["REDIS_URL"] = redis_url
    app_config.update(settings, HUEY_IMMEDIATE=False)
    instance = tmp_path / "node-instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "".join(f"{key} = {value!r}\n" for key, value in settings.items()))
    app_config["NODE_INSTANCE"] = str(instance)
    return app_config


@pytest.fixture
def flush_queue(queue: dict[str, Any], app: Flask) -> Iterator[None]:
    yield
    get_huey(app).flush()  # only this test's own queue


def node_env(config: dict[str, Any]) -> dict[str, str]:
    return worker_env(config, instance_path=config["NODE_INSTANCE"], redis=True)


class Node:
    """A real `valuetracker worker` node (one process), in its own process group."""

    def __init__(self, config: dict[str, Any], log: Path) -> None:
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [str(VENV_BIN / "valuetracker"), "worker", "--workers", "1"],
                env=node_env(config), start_new_session=True, stdout=out,
                stderr=subprocess.STDOUT)

    def heartbeat_id(self, session: Session, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            session.expire_all()
            row = session.exec(select(WorkerHeartbeat.id)
                               .where(WorkerHeartbeat.pid == self.proc.pid)).first()
            if row:
                return row
            assert self.proc.poll() is None, self.log.read_text()
            time.sleep(0.1)
        raise AssertionError("the worker did not beat")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        self.proc.wait(30)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


@pytest.fixture
def nodes(queue: dict[str, Any], tmp_path: Path) -> Iterator[list[Node]]:
    started: list[Node] = []
    yield started
    for node in started:
        node.kill()


def start_node(nodes: list[Node], config: dict[str, Any], tmp_path: Path) -> Node:
    node = Node(config, tmp_path / f"node-{len(nodes) + 1}.log")
    nodes.append(node)
    return node


def fresh_job(session: Session, job_id: int) -> Job:
    session.expire_all()
    job = session.get(Job, job_id)
    assert job is not None
    return job


def _where(app: Flask) -> str:
    """Which queue and database a fault run used (for the run's printed note)."""
    dialect = app.extensions["valuetracker.engine"].dialect.name
    return f"{'redis' if app.config.get('REDIS_URL') else 'sqlite'} queue, {dialect}"


def key_people(session: Session, cast: Any, count: int) -> None:
    for n in range(count):
        make_stakeholder(session, cast.account1, f"Key Person {n}", is_key=True)
    session.commit()


# -- the forms as a page renders them -------------------------------------------------------


class Forms(HTMLParser):
    """Every <form> of a page: (action, {field: value}, its buttons' text)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str], str]] = []
        self._current: tuple[str, dict[str, str], list[str]] | None = None
        self._in_button = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._current = (a["action"], {}, [])
        elif self._current is not None and tag == "input" and a.get("name"):
            self._current[1][a["name"]] = a.get("value", "")
        elif self._current is not None and tag == "button":
            self._in_button = True

    def handle_data(self, data: str) -> None:
        if self._in_button and self._current is not None:
            self._current[2].append(data.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._in_button = False
        elif tag == "form" and self._current is not None:
            action, fields, text = self._current
            self.forms.append((action, fields, " ".join(t for t in text if t)))
            self._current = None

    def find(self, button: str, action_part: str = "") -> list[tuple[str, dict[str, str]]]:
        return [(a, f) for a, f, text in self.forms if text == button and action_part in a]


def submit(client: FlaskClient, page_url: str, button: str, action_part: str = ""
           ) -> Any:
    """Load the page, find the one form with that button, post exactly its fields."""
    page = client.get(page_url)
    assert page.status_code == 200
    found = Forms(page.get_data(as_text=True)).find(button, action_part)
    assert len(found) == 1, f"{len(found)} forms with {button!r} on {page_url}"
    action, fields = found[0]
    assert "csrf_token" in fields  # CSRF is on: the token comes from the page
    return client.post(action, data=fields)


@pytest.fixture
def csrf(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


# -- 1 and 3: a node killed mid-send, no restart ------------------------------------------


def test_node_killed_mid_send_is_taken_over_and_its_sending_resolved(
        queue: dict[str, Any], csrf: dict[str, Any], mailbox: Mailbox, nodes: list[Node],
        app: Flask, session: Session, cast: Any, login_as: Any, tmp_path: Path,
        flush_queue: None) -> None:
    key_people(session, cast, 5)  # account1: 6 key people, account2: 1
    # The first mail arrives, then its sender waits 20 s for the server's answer: the
    # node sending it is killed in that wait, after the mail left.
    mailbox.hold_first = 20.0
    mailbox.delay = 0.2
    a = start_node(nodes, queue, tmp_path)
    b = start_node(nodes, queue, tmp_path)
    a_id, b_id = a.heartbeat_id(session), b.heartbeat_id(session)
    cli = subprocess.Popen(
        [str(VENV_BIN / "valuetracker"), "summaries", "generate", "--quarter", "2026-Q3",
         "--send", "--account", "acme-corp", "--account", "globex"],
        env=node_env(queue), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        job_id = wait_until(lambda: session.exec(select(Job.id)).first(), what="the job")
        wait_until(lambda: mailbox.summary_recipients, what="the first summary mail")
        held = mailbox.summary_recipients[0]
        # Which node holds it: the claim of the item whose person has that address.
        job = fresh_job(session, job_id)
        person = session.exec(select(Stakeholder).where(Stakeholder.email == held)).one()
        claim = job.result["claims"][item_key(person.account_id, person.id)]
        victim, survivor = (a, b) if claim["worker"] == a_id else (b, a)
        assert claim["worker"] in (a_id, b_id)
        victim.kill(signal.SIGKILL)
        killed_at = time.monotonic()
        out, _ = cli.communicate(timeout=40)
    finally:
        if cli.poll() is None:
            cli.kill()
    took = time.monotonic() - killed_at
    output = out.decode()
    assert cli.returncode == 0, output
    assert "Finished: 7 of 7 done" in output and "generating the rest" not in output
    assert survivor.alive and not victim.alive  # nobody restarted anything
    assert took < 30
    assert "taking over 1 item(s)" in survivor.log.read_text()

    job = fresh_job(session, job_id)
    assert (job.status, job.done, job.failed, job.total) == ("done", 7, 0, 7)
    assert job.result["claims"] == {}
    # Every mail once; the held one arrived, and was not sent again automatically.
    assert sorted(mailbox.summary_recipients) == sorted(set(mailbox.summary_recipients))
    assert len(mailbox.summary_recipients) == 7
    rows = {d.recipient: d for d in session.exec(select(Distribution)).all()}
    assert rows[held].status == DELIVERY_UNKNOWN
    assert {d.status for r, d in rows.items() if r != held} == {"sent"}

    # The job page, the account's page and the coverage page say so, with the buttons.
    leader = login_as(cast.leader)
    for url in (f"/jobs/{job_id}", "/accounts/acme-corp/summaries?quarter=2026-Q3",
                "/summaries/coverage?quarter=2026-Q3"):
        html = leader.get(url).get_data(as_text=True)
        assert "Delivery unknown" in html, url
        forms = Forms(html)
        assert len(forms.find("Mark delivered")) == len(forms.find("Resend")) == 1, url
    # Resend, from the job page as it renders it: sent once more, recorded as a resend.
    response = submit(leader, f"/jobs/{job_id}", "Resend")
    assert response.status_code == 302 and response.location.endswith(f"/jobs/{job_id}")
    assert mailbox.summary_recipients.count(held) == 2
    session.expire_all()
    resent = session.get(Distribution, rows[held].id)
    assert resent is not None and resent.status == "sent"
    assert resent.error == "Resent by Leo Leader (the first delivery was unknown)"
    events = session.exec(select(AuditEvent.action).where(
        AuditEvent.entity == "distribution")).all()
    assert sorted(events) == ["delivery_unknown", "resend"]
    assert "Delivery unknown" not in leader.get(f"/jobs/{job_id}").get_data(as_text=True)
    print(f"\n[{_where(app)}] node killed mid-send; "
          f"job finished {took:.1f} s later; {len(mailbox.summary_recipients)} mails "
          f"(1 of them the person's resend)")


def test_node_killed_mid_render_is_taken_over_without_a_restart(
        queue: dict[str, Any], nodes: list[Node], app: Flask, session: Session, cast: Any,
        tmp_path: Path, flush_queue: None) -> None:
    key_people(session, cast, 7)  # 9 items
    a = start_node(nodes, queue, tmp_path)
    b = start_node(nodes, queue, tmp_path)
    ids = {a.heartbeat_id(session): a, b.heartbeat_id(session): b}
    cli = subprocess.Popen(
        [str(VENV_BIN / "valuetracker"), "summaries", "generate", "--quarter", "2026-Q3"],
        env=node_env(queue), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        job_id = wait_until(lambda: session.exec(select(Job.id)).first(), what="the job")
        # Once both nodes are busy, kill the one holding the newest claim: it is
        # rendering that summary now (an item's claim goes when it is counted).
        claims = wait_until(lambda: len(c := (fresh_job(session, job_id).result or {}).get(
            "claims", {})) == 2 and fresh_job(session, job_id).done >= 1 and c,
            what="both nodes busy")
        newest = max(claims.values(), key=lambda c: c["at"])
        victim = ids[newest["worker"]]
        survivor = b if victim is a else a
        victim.kill(signal.SIGKILL)
        killed_at = time.monotonic()
        out, _ = cli.communicate(timeout=40)
    finally:
        if cli.poll() is None:
            cli.kill()
    took = time.monotonic() - killed_at
    assert cli.returncode == 0, out.decode()
    assert "Finished: 9 of 9 done" in out.decode()
    assert survivor.alive and not victim.alive
    assert "taking over 1 item(s)" in survivor.log.read_text()
    job = fresh_job(session, job_id)
    assert (job.status, job.done, job.failed, job.total) == ("done", 9, 0, 9)
    assert len(session.exec(select(ValueSummary)).all()) == 9
    print(f"\n[{_where(app)}] node killed mid-render; job finished {took:.1f} s later")


# -- 2 and 4: SMTP down longer than the retries, a worker restart in between ---------------


def test_smtp_outage_with_a_restart_ends_failed_and_retry_sends_exactly_those(
        queue: dict[str, Any], csrf: dict[str, Any], mailbox: Mailbox, nodes: list[Node],
        app: Flask, session: Session, cast: Any, login_as: Any, tmp_path: Path,
        flush_queue: None) -> None:
    key_people(session, cast, 2)  # account1: 3 key people; account2: Dan
    huey = get_huey(app)
    # Dan got his summary before the outage.
    first = create_summaries_job(session, quarter="2026-Q3", account_ids=[cast.account2.id],
                                 send=True, user_id=cast.leader.id)
    session.commit()
    enqueue_job(app, first)
    a = start_node(nodes, queue, tmp_path)
    wait_until(lambda: fresh_job(session, first.id).status == "done", what="the first job")
    assert mailbox.recipients == [cast.stakeholder2.email]

    mailbox.stop()  # the outage
    started = time.monotonic()
    job = create_summaries_job(session, quarter="2026-Q3",
                               account_ids=[cast.account1.id, cast.account2.id], send=True,
                               user_id=cast.leader.id)
    session.commit()
    enqueue_job(app, job)
    # Dan's item is done, the three others failed once and wait for their retry
    # (nothing runs now): kill the worker, start another.
    wait_until(lambda: huey.scheduled_count() == 3 and huey.pending_count() == 0
             and fresh_job(session, job.id).done == 1, what="the first failures")
    a.kill(signal.SIGKILL)
    assert huey.scheduled_count() == 3  # waiting for a retry: not lost
    b = start_node(nodes, queue, tmp_path)
    b.heartbeat_id(session)
    finished = wait_until(lambda: (j := fresh_job(session, job.id)).status in ("done", "failed")
                        and j, what="the job to end")
    # It closed once every item had its last try: nothing of it waits any more.
    # (by its arguments: the periodic reminder task, which has none, may be waiting too)
    waiting = [t for t in [*huey.pending(), *huey.scheduled()] if t.args and t.args[0] == job.id]
    assert waiting == []
    assert (finished.status, finished.done, finished.failed, finished.total) == (
        "failed", 1, 3, 4)
    assert finished.done + finished.failed <= finished.total
    assert "Re-enqueued" not in b.log.read_text()
    outage = time.monotonic() - started

    # The job page lists the failed sendings and offers the retry.
    leader = login_as(cast.leader)
    page = leader.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert page.count("Sending</td>") == 3 and "Retry the failed ones" in page
    account_page = leader.get("/accounts/acme-corp/summaries?quarter=2026-Q3")
    assert "Retry the failed ones" in account_page.get_data(as_text=True)

    mailbox.start()  # the server is back
    response = submit(leader, f"/jobs/{job.id}", "Retry the failed ones")
    assert response.status_code == 302
    retry = session.exec(select(Job).where(Job.id != job.id, Job.id != first.id)).one()
    assert response.location.endswith(f"/jobs/{retry.id}")
    assert retry.params["retry_of"] == job.id and retry.total == 3
    done = wait_until(lambda: (j := fresh_job(session, retry.id)).status in ("done", "failed")
                    and j, what="the retry")
    assert (done.status, done.done, done.failed) == ("done", 3, 0)
    account1_people = sorted(session.exec(select(Stakeholder.email).where(
        Stakeholder.account_id == cast.account1.id)).all())
    # Exactly the failed ones arrived, once each; Dan only ever got his one mail.
    assert sorted(mailbox.recipients[1:]) == account1_people
    assert mailbox.recipients.count(cast.stakeholder2.email) == 1
    assert {d.status for d in session.exec(select(Distribution)).all()} == {"sent"}
    # Retrying again finds nothing to retry.
    assert "Retry the failed ones" not in leader.get(f"/jobs/{retry.id}").get_data(
        as_text=True)
    print(f"\n[{_where(app)}] SMTP stopped, worker "
          f"killed mid-retries and replaced: job failed 3 of 4 after {outage:.1f} s; retry "
          f"sent exactly 3 mails")


# -- exact counting and recovery, in-process -------------------------------------------


def test_recovery_leaves_items_waiting_for_a_retry_alone(
        queue: dict[str, Any], app: Flask, session: Session, cast: Any,
        flush_queue: None) -> None:
    job = create_summaries_job(session, quarter="2026-Q3", account_ids=[cast.account1.id])
    session.commit()
    huey = get_huey(app)
    enqueue_job(app, job)
    task = huey.dequeue()
    assert task is not None
    huey.add_schedule(task)  # what a failed try does: wait in the schedule for its retry
    assert huey.pending_count() == 0 and huey.scheduled_count() == 1
    assert recover_jobs(app) == 0


def test_an_item_failing_twice_is_counted_once(queue: dict[str, Any], app: Flask,
                                               session: Session, cast: Any) -> None:
    folder = Path(app.config["REPORTS_DIR"]) / "2026-Q3"
    folder.mkdir(parents=True)
    (folder / "acme-corp").write_text("in the way")  # the PDF cannot be written
    make_stakeholder(session, cast.account1, "Second Key", is_key=True)
    session.commit()
    job = create_summaries_job(session, quarter="2026-Q3", account_ids=[cast.account1.id])
    session.commit()
    first = job.params["items"][0]
    with app.app_context():
        for _copy in range(3):  # the item, and two copies of it (re-enqueued as lost)
            run_summary_item(app, job.id, *first, last_try=True)
    job = fresh_job(session, job.id)
    assert (job.status, job.done, job.failed, job.total) == ("running", 0, 1, 2)
    assert list(job.result["failed"]) == [item_key(*first)]


def test_a_copy_finding_the_sending_in_flight_leaves_the_count_to_its_sender(
        mailbox: Mailbox, app: Flask, session: Session, cast: Any) -> None:
    """A copy re-enqueued while the original was starting finds the original's sending
    pending (being delivered): it must not count the item, or the batch says done while a
    mail is in flight."""
    from valuetracker.summaries.generate import generate_one
    from valuetracker.summaries.send import CHANNEL

    job = create_summaries_job(session, quarter="2026-Q3", account_ids=[cast.account1.id],
                               send=True)
    session.commit()
    first = next(item for item in job.params["items"] if item[1] is not None)
    with app.app_context():
        # The original run: generated, its sending claimed, the mail not yet gone.
        summary = generate_one(session, account_id=first[0], stakeholder_id=first[1],
                               quarter=parse_quarter("2026-Q3", 1), variant="stakeholder",
                               user_id=None, regenerate=True)
        session.add(Distribution(summary_id=summary.id, channel=CHANNEL,
                                 recipient="in-flight@example.com", status="pending"))
        session.commit()
        run_summary_item(app, job.id, *first, last_try=True)  # the copy
    job = fresh_job(session, job.id)
    assert (job.status, job.done, job.failed) == ("running", 0, 0)
    assert item_key(*first) in job.result["claims"]  # it stands for the sender
    sending = session.exec(select(Distribution)).one()
    assert sending.status == "pending" and mailbox.messages == []
    # The sender records its mail; a run after that counts the item exactly once.
    sending.status, sending.sent_at = "sent", utcnow()
    session.add(sending)
    session.commit()
    with app.app_context():
        for _run in range(2):
            run_summary_item(app, job.id, *first, last_try=True)
    job = fresh_job(session, job.id)
    assert (job.done, job.failed) == (1, 0) and mailbox.messages == []


def test_a_sending_pending_past_the_grace_period_does_not_hold_the_item(
        mailbox: Mailbox, app: Flask, session: Session, cast: Any) -> None:
    """A sending left pending by a worker that died long ago is delivery unknown, not in
    flight: a new batch's run counts the item (and mails nobody), so the batch finishes
    even with no worker to recover it (the CLI runs items in its own process)."""
    from datetime import timedelta

    from valuetracker.summaries.generate import generate_one
    from valuetracker.summaries.send import CHANNEL

    job = create_summaries_job(session, quarter="2026-Q3", account_ids=[cast.account1.id],
                               send=True)
    session.commit()
    first = next(item for item in job.params["items"] if item[1] is not None)
    grace = int(app.config.get("DELIVERY_UNKNOWN_AFTER", 600))
    with app.app_context():
        summary = generate_one(session, account_id=first[0], stakeholder_id=first[1],
                               quarter=parse_quarter("2026-Q3", 1), variant="stakeholder",
                               user_id=None, regenerate=True)
        session.add(Distribution(summary_id=summary.id, channel=CHANNEL,
                                 recipient="died@example.com", status="pending",
                                 created_at=utcnow() - timedelta(seconds=grace + 60)))
        session.commit()
        run_summary_item(app, job.id, *first, last_try=True)
    job = fresh_job(session, job.id)
    assert (job.done, job.failed) == (1, 0)
    assert mailbox.messages == []  # never a second automatic sending
    assert session.exec(select(Distribution)).one().status == "pending"  # left to a person


# -- resolving and retrying from the pages and the CLI --------------------------------------


def _unknown_sending(app: Flask, session: Session, cast: Any) -> Distribution:
    """Carol's summary generated and claimed for sending by a worker that then died."""
    job = create_summaries_job(session, quarter="2026-Q3", account_ids=[cast.account1.id])
    session.commit()
    enqueue_job(app, job)  # immediate: generated now, not sent
    summary = session.exec(select(ValueSummary)).one()
    row = Distribution(summary_id=summary.id, recipient=cast.stakeholder1.email,
                       status=DELIVERY_UNKNOWN)
    session.add(row)
    session.commit()
    return row


def test_mark_delivered_from_the_coverage_page(csrf: dict[str, Any], app: Flask,
                                               session: Session, cast: Any,
                                               login_as: Any) -> None:
    row = _unknown_sending(app, session, cast)
    am1 = login_as(cast.am1)
    url = "/summaries/coverage?quarter=2026-Q3"
    assert "Delivery unknown" in am1.get(url).get_data(as_text=True)
    response = submit(am1, url, "Mark delivered")
    assert response.status_code == 302 and "/summaries/coverage" in response.location
    session.expire_all()
    done = session.get(Distribution, row.id)
    assert done is not None and done.status == "sent" and done.sent_at == row.created_at
    assert done.error == "Marked delivered by Alice Manager"
    page = am1.get(url).get_data(as_text=True)
    assert "Delivery unknown" not in page
    assert "1 of 1 key stakeholders received" in page_text(page)  # the figures are links
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "mark_delivered")).one()
    assert event.user_id == cast.am1.id and event.entity_id == str(row.id)


def test_resolve_is_scoped_and_refuses_a_resolved_sending(csrf: dict[str, Any], app: Flask,
                                                          session: Session, cast: Any,
                                                          login_as: Any) -> None:
    row = _unknown_sending(app, session, cast)
    page_url = "/accounts/acme-corp/summaries?quarter=2026-Q3"
    am1 = login_as(cast.am1)
    action, fields = Forms(am1.get(page_url).get_data(as_text=True)).find("Mark delivered")[0]
    # Bob cannot see the account (404), the analyst may not send (403); neither is
    # shown the buttons. Each posts with the CSRF token of their own session (the
    # sign-out form's, on every page).
    for user, status in ((cast.am2, 404), (cast.analyst, 403)):
        other = login_as(user)
        for url in ("/summaries/coverage?quarter=2026-Q3", page_url):
            assert not Forms(other.get(url).get_data(as_text=True)).find("Mark delivered")
        token = Forms(other.get("/summaries/coverage").get_data(as_text=True)).forms[0][1]
        assert other.post(action, data=dict(fields, csrf_token=token["csrf_token"])
                          ).status_code == status
    # A token-less post is refused (CSRF).
    assert am1.post(action, data={"action": "mark_delivered"}).status_code == 400
    session.expire_all()
    assert session.get(Distribution, row.id).status == DELIVERY_UNKNOWN  # type: ignore[union-attr]
    assert submit(am1, page_url, "Mark delivered").status_code == 302
    # The same button again (a second tab): nothing to resolve any more.
    response = am1.post(action, data=fields, follow_redirects=True)
    assert "Someone resolved this sending meanwhile" in response.get_data(as_text=True)


def test_pending_sending_past_the_grace_period_counts_as_unknown(
        app: Flask, session: Session, cast: Any, login_as: Any) -> None:
    from datetime import timedelta

    row = _unknown_sending(app, session, cast)
    row.status, row.created_at = "pending", utcnow() - timedelta(seconds=30)
    session.commit()
    page_url = "/accounts/acme-corp/summaries?quarter=2026-Q3"
    client = login_as(cast.am1)
    assert "Delivery unknown" not in client.get(page_url).get_data(as_text=True)  # in flight
    app.config["DELIVERY_UNKNOWN_AFTER"] = 10
    assert "Delivery unknown" in client.get(page_url).get_data(as_text=True)


def test_cli_resolve_lists_then_resends(mailbox: Mailbox, app: Flask, runner: Any,
                                        session: Session, cast: Any) -> None:
    row = _unknown_sending(app, session, cast)
    listed = runner.invoke(args=["summaries", "resolve", "--quarter", "2026-Q3"])
    assert listed.exit_code == 0, listed.output
    assert f"delivery unknown: summary {row.summary_id}  acme-corp  Carol Buyer" in listed.output
    assert mailbox.messages == []
    resent = runner.invoke(args=["summaries", "resolve", "--quarter", "2026-Q3",
                                 "--account", "acme-corp", "--resend"])
    assert resent.exit_code == 0, resent.output
    assert "resent: summary" in resent.output
    assert mailbox.recipients == [cast.stakeholder1.email]
    again = runner.invoke(args=["summaries", "resolve", "--quarter", "2026-Q3", "--resend"])
    assert "No sendings of unknown delivery in 2026-Q3." in again.output
    assert mailbox.recipients == [cast.stakeholder1.email]
    session.expire_all()
    assert session.get(Distribution, row.id).error == (  # type: ignore[union-attr]
        "Resent by the command line (the first delivery was unknown)")


def test_cli_mark_delivered(app: Flask, runner: Any, session: Session, cast: Any) -> None:
    row = _unknown_sending(app, session, cast)
    result = runner.invoke(args=["summaries", "resolve", "--quarter", "2026-Q3",
                                 "--summary", str(row.summary_id), "--mark-delivered"])
    assert result.exit_code == 0 and "marked delivered" in result.output, result.output
    session.expire_all()
    assert session.get(Distribution, row.id).status == "sent"  # type: ignore[union-attr]


def test_cli_retry_sends_exactly_the_failed_ones(mailbox: Mailbox, app: Flask, runner: Any,
                                                 session: Session, cast: Any) -> None:
    key_people(session, cast, 1)
    mailbox.stop()
    failed = runner.invoke(args=["summaries", "generate", "--quarter", "2026-Q3", "--send"])
    assert failed.exit_code == 1
    job = session.exec(select(Job)).one()
    assert (job.status, job.done, job.failed, job.total) == ("failed", 0, 3, 3)
    mailbox.start()
    # The job's retry runs its 3 failed items: each sending is claimed again from
    # `failed`, and goes out once.
    result = runner.invoke(args=["summaries", "retry", str(job.id)])
    assert result.exit_code == 0, result.output
    assert f"retries the 3 failed item(s) of job {job.id}" in result.output
    assert "Finished: 3 of 3 done" in result.output
    assert sorted(mailbox.recipients) == sorted(set(mailbox.recipients))
    assert len(mailbox.recipients) == 3
    again = runner.invoke(args=["summaries", "retry", str(job.id + 1)])
    assert again.exit_code != 0 and "no failed items" in again.output
    assert runner.invoke(args=["summaries", "retry", "999"]).exit_code != 0


def test_account_page_retry_sends_only_the_failed(csrf: dict[str, Any], mailbox: Mailbox,
                                                  app: Flask, runner: Any, session: Session,
                                                  cast: Any, login_as: Any) -> None:
    key_people(session, cast, 1)
    assert runner.invoke(args=["summaries", "generate", "--quarter", "2026-Q3", "--send",
                               "--account", "globex"]).exit_code == 0
    mailbox.stop()
    runner.invoke(args=["summaries", "generate", "--quarter", "2026-Q3", "--send"])
    mailbox.start()
    am1 = login_as(cast.am1)
    response = submit(am1, "/accounts/acme-corp/summaries?quarter=2026-Q3",
                      "Retry the failed ones")
    assert response.status_code == 302 and "/jobs/" in response.location
    retry = session.exec(select(Job).order_by(Job.id.desc())).first()  # type: ignore[union-attr]
    assert retry is not None and (retry.status, retry.done, retry.total) == ("done", 2, 2)
    account1_people = session.exec(select(Stakeholder.email).where(
        Stakeholder.account_id == cast.account1.id)).all()
    # Dan's went out before the outage; then exactly the two failed ones, once each.
    assert mailbox.recipients[0] == cast.stakeholder2.email
    assert sorted(mailbox.recipients[1:]) == sorted(account1_people)
    assert "Retry the failed ones" not in am1.get(
        "/accounts/acme-corp/summaries?quarter=2026-Q3").get_data(as_text=True)


def test_job_message_counts(app: Flask, session: Session, cast: Any) -> None:
    job = Job(kind="summaries", total=4, done=1, failed=3, status="failed")
    assert job_message(job) == "Finished with errors: 1 of 4 done, 3 failed"


def test_cli_taking_over_marks_the_claimed_sendings_unknown(app: Flask, session: Session,
                                                            cast: Any) -> None:
    from valuetracker.summaries.runs import abandon_claims

    row = _unknown_sending(app, session, cast)
    row.status = "pending"  # claimed a moment ago by a worker that has gone since
    job = create_summaries_job(session, quarter="2026-Q3", account_ids=[cast.account1.id])
    job.status = "running"
    job.result = {"claims": {item_key(cast.account1.id, cast.stakeholder1.id): {
        "worker": "f" * 32, "at": utcnow().isoformat()}}}
    session.commit()
    assert abandon_claims(session, job) == 1
    session.commit()
    session.expire_all()
    assert session.get(Distribution, row.id).status == DELIVERY_UNKNOWN  # type: ignore[union-attr]
