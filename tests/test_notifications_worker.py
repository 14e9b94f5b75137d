"""Two real `valuetracker worker` processes on one queue: each runs the periodic tasks
when it starts, yet the immediate e-mail and the daily digest each arrive once."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from valuetracker import value as domain
from valuetracker.models import DigestSend, Notification

from .conftest import VENV_BIN, Inbox, stop_worker, wait_until, worker_env
from .factories import make_entry


def test_two_workers_send_the_immediate_mail_and_the_digest_once(
        smtp: Inbox, queued_config: dict[str, Any], app: Flask, session: Session, cast: Any,
        tmp_path: Path) -> None:
    cast.account1.renewal_date = date.today() + timedelta(days=12)
    session.add(cast.account1)
    for user in cast.everyone:
        if user.id != cast.am1.id:
            user.digest_frequency = "off"
            session.add(user)
    entry = make_entry(session, cast.account1, "1000", title="Faster close")
    session.commit()
    with app.app_context():
        domain.apply_answer(session, entry, stakeholder_id=cast.stakeholder1.id,
                            response="disputed", comment="Not us")
        session.commit()
    env = dict(worker_env(queued_config), VALUETRACKER_DIGEST_HOUR="0")
    workers = []
    for n in range(2):
        with open(tmp_path / f"worker{n}.log", "ab") as out:
            workers.append(subprocess.Popen(
                [str(VENV_BIN / "valuetracker"), "worker", "--workers", "1"], env=env,
                start_new_session=True, stdout=out, stderr=subprocess.STDOUT))
    try:
        wait_until(lambda: len(smtp.messages) >= 2, timeout=90, what="the two mails")
        time.sleep(3)  # the other worker's runs find nothing left to send
    finally:
        codes = [stop_worker(w, signal.SIGTERM) for w in workers]
    assert codes == [0, 0]
    subjects = sorted(str(msg["Subject"]) for _rcpt, msg in smtp.messages)
    assert len(subjects) == 2, subjects
    assert subjects[0] == "Carol Buyer disputed “Faster close” at Acme Corp: “Not us”"
    assert subjects[1].startswith("Your daily digest, ")
    assert "1 renewals in the next 30 days" in subjects[1]
    session.expire_all()
    assert session.exec(select(Notification)).one().emailed_at is not None
    assert [r.status for r in session.exec(select(DigestSend))] == ["sent"]
