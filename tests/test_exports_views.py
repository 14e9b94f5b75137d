"""The exports page: who may export, what their file holds, and who may download it."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from sqlmodel import select

from valuetracker.models import AuditEvent, Job
from valuetracker.quarters import current_quarter

from .factories.scenarios import QUARTER


def build(client: Any, **data: Any) -> Any:
    form = {"quarter": QUARTER, "format": "xlsx", **data}
    return client.post("/exports/", data=form)


def job_id_from(response: Any) -> int:
    assert response.status_code == 302, response.data[:500]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def download(client: Any, job_id: int) -> Any:
    """GET the download, read it and close the file response."""
    response = client.get(f"/exports/{job_id}/download")
    response.get_data()
    response.close()
    return response


def workbook_accounts(data: bytes, sheet: str) -> set[str]:
    ws = openpyxl.load_workbook(io.BytesIO(data))[sheet]
    rows = list(ws.iter_rows(values_only=True))
    index = list(rows[0]).index("Account")
    return {row[index] for row in rows[1:]}


def test_index_shows_form_and_sheets(login_as, cast):
    response = login_as(cast.leader).get("/exports/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Quarterly review export" in page and "Win-loss" in page
    # the last complete quarter is chosen; every account the leader sees is offered
    previous = current_quarter().previous().label
    assert f'<option selected value="{previous}">' in page
    assert ">Acme Corp</option>" in page and ">Globex</option>" in page


def test_manager_is_offered_only_own_accounts(login_as, cast):
    page = login_as(cast.am1).get("/exports/").get_data(as_text=True)
    assert ">Acme Corp</option>" in page and "Globex" not in page


@pytest.mark.parametrize("role", ["analyst"])
def test_analyst_gets_403(login_as, cast, role):
    client = login_as(cast.analyst)
    assert client.get("/exports/").status_code == 403
    assert build(client).status_code == 403


def test_anonymous_is_sent_to_login(client, cast):
    response = client.get("/exports/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_leader_exports_every_account_and_downloads(login_as, cast, seeded, session):
    client = login_as(cast.leader)
    job_id = job_id_from(build(client))
    page = client.get(f"/exports/{job_id}")
    assert page.status_code == 200 and "Download" in page.get_data(as_text=True)
    status = client.get(f"/exports/{job_id}.json").get_json()
    assert status["status"] == "done" and status["done"] == status["total"] == 8
    response = download(client, job_id)
    assert response.status_code == 200
    assert "quarterly-review-2026-Q3.xlsx" in response.headers["Content-Disposition"]
    assert workbook_accounts(response.data, "Summary") == {"Acme Corp", "Globex", "Initech"}
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.user_id == cast.leader.id and event.entity_id == str(job_id)


def test_manager_gets_only_own_accounts(login_as, cast, seeded):
    client = login_as(cast.am1)
    job_id = job_id_from(build(client))
    data = download(client, job_id).data
    for sheet in ("Summary", "Value delivered", "Deals", "Loyalty", "Stakeholder coverage"):
        assert workbook_accounts(data, sheet) == {"Acme Corp"}, sheet


def test_manager_cannot_choose_someone_elses_account(login_as, cast, seeded, session):
    response = build(login_as(cast.am1), accounts=[str(cast.account2.id)])
    assert response.status_code == 200  # the form re-renders with an error
    assert "is not a valid choice" in response.get_data(as_text=True)
    assert session.exec(select(Job)).first() is None


def test_chosen_accounts_narrow_the_export(login_as, cast, seeded):
    client = login_as(cast.admin)
    job_id = job_id_from(build(client, accounts=[str(cast.account2.id)], format="csv"))
    response = download(client, job_id)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "quarterly-review-2026-Q3.zip" in response.headers["Content-Disposition"]


def test_other_users_cannot_download_an_export(login_as, cast, seeded):
    owner = login_as(cast.am1)
    job_id = job_id_from(build(owner))
    for user in (cast.am2, cast.leader):
        other = login_as(user)
        assert download(other, job_id).status_code == 404
        assert other.get(f"/exports/{job_id}").status_code == 404
        assert other.get(f"/exports/{job_id}.json").status_code == 404
    assert download(login_as(cast.analyst), job_id).status_code == 403
    assert download(login_as(cast.admin), job_id).status_code == 200
    assert download(owner, job_id).status_code == 200


def test_unknown_export_is_404(login_as, cast):
    assert download(login_as(cast.leader), 999).status_code == 404


def test_bad_input_rerenders_the_form(login_as, cast, session):
    response = build(login_as(cast.leader), quarter="2026-Q9", format="pdf")
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert session.exec(select(Job)).first() is None


def test_get_never_builds(login_as, cast, session):
    login_as(cast.leader).get("/exports/?quarter=2026-Q3&format=xlsx")
    assert session.exec(select(Job)).first() is None


def test_build_runs_as_a_background_job(queued_config, app, login_as, cast, seeded, session):
    from valuetracker.jobs import get_huey

    client = login_as(cast.leader)
    job_id = job_id_from(build(client))
    job = session.get(Job, job_id)
    assert job.status == "queued"  # the request only enqueued it
    page = client.get(f"/exports/{job_id}").get_data(as_text=True)
    assert f'data-job-url="/exports/{job_id}.json"' in page
    assert client.get(f"/exports/{job_id}.json").get_json()["status"] == "queued"
    assert download(client, job_id).status_code == 404  # nothing to download yet
    # what `valuetracker worker` does: take the task from the queue and run it
    huey = get_huey(app)
    huey.execute(huey.dequeue())
    session.refresh(job)
    assert job.status == "done"
    progress = client.get(f"/exports/{job_id}.json").get_json()
    assert progress == {"status": "done", "done": 8, "total": 8, "failed": 0,
                        "message": "Ready to download."}
    assert download(client, job_id).status_code == 200


@pytest.fixture
def unwritable_reports(app_config: dict[str, Any], tmp_path: Any) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the reports folder should be")
    app_config["REPORTS_DIR"] = str(blocker)


def test_a_failed_export_is_shown_not_a_500(unwritable_reports, login_as, cast, session):
    client = login_as(cast.leader)
    job_id = job_id_from(build(client))
    page = client.get(f"/exports/{job_id}").get_data(as_text=True)
    assert "The export failed" in page
    job = session.get(Job, job_id)
    assert job.status == "failed" and job.error
    assert download(client, job_id).status_code == 404
