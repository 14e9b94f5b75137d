"""The task pages and My work: what each role sees, scoping (404 for other teams'
tasks, 403 for roles that only read), and every button and form pressed as the page
renders it (fields parsed from the HTML, `tests/rendered.py`)."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, select

from valuetracker.models import AuditEvent, Task, TaskComment

from .factories import make_account, make_signal, make_stakeholder, make_task, make_user
from .rendered import page_form, rendered_forms

TODAY = date.today()


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _reload(session: Session, task: Task) -> Task:
    session.expire_all()
    found = session.get(Task, task.id)
    assert found is not None
    return found


def _world(session: Session, cast: Any) -> dict[str, Any]:
    """am1's tasks (one overdue, one done), am2's task, signals new and old, renewals."""
    mine = make_task(session, cast.account1, "Call Carol about the renewal",
                     assignee=cast.am1, stakeholder=cast.stakeholder1,
                     due_on=TODAY + timedelta(days=5))
    overdue = make_task(session, cast.account1, "Send the QBR deck", assignee=cast.am1,
                        due_on=TODAY - timedelta(days=2))
    done = make_task(session, cast.account1, "Old done thing", assignee=cast.am1,
                     status="done", done_at=datetime.now(UTC))
    theirs = make_task(session, cast.account2, "Globex secret plan", assignee=cast.am2)
    make_signal(session, cast.account1, "value_disputed", message="Carol disputed the number",
                stakeholder=cast.stakeholder1)
    make_signal(session, cast.account1, "no_recent_value", message="Stale old signal",
                opened_at=datetime.now(UTC) - timedelta(days=20))
    make_signal(session, cast.account2, "deal_lost", message="Globex lost a deal")
    cast.account1.renewal_date = TODAY + timedelta(days=30)
    cast.account2.renewal_date = TODAY + timedelta(days=60)
    session.add_all([cast.account1, cast.account2])
    far = make_account(session, "Far Away Inc", owner=cast.am1,
                       renewal_date=TODAY + timedelta(days=200))
    session.commit()
    return {"mine": mine, "overdue": overdue, "done": done, "theirs": theirs, "far": far}


def test_sign_in_lands_on_my_work(app: Flask, cast: Any, client: Any) -> None:
    from .factories import PASSWORD

    response = client.post("/login", data={"email": "am1@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "<h1>My work</h1>" in _text(client.get("/"))


def test_my_work_of_an_account_manager(session: Session, cast: Any, login_as: Any) -> None:
    _world(session, cast)
    body = _text(login_as(cast.am1).get("/"))
    assert "Call Carol about the renewal" in body and "Send the QBR deck" in body
    assert "1 overdue" in body and "Overdue" in body
    assert "Old done thing" not in body
    assert "Carol disputed the number" in body and "Stale old signal" not in body
    assert "Acme Corp" in body and "renews" in body and "Far Away Inc" not in body
    assert "Globex" not in body  # nothing of another team's


def test_my_work_of_leaders_is_everyones_with_a_filter(session: Session, cast: Any,
                                                       login_as: Any) -> None:
    _world(session, cast)
    client = login_as(cast.leader)
    body = _text(client.get("/"))
    assert "Everyone's work" in body
    for text in ("Call Carol about the renewal", "Globex secret plan",
                 "Carol disputed the number", "Globex lost a deal"):
        assert text in body
    [form] = [f for f in rendered_forms(body) if f.method == "get" and "assignee" in f.names]
    body = _text(client.get(form.action, query_string=form.data(assignee=str(cast.am2.id))))
    assert "Globex secret plan" in body and "Globex lost a deal" in body
    assert "Call Carol" not in body and "Carol disputed" not in body
    # A filter value that is nobody's shows everyone's again, never an error.
    assert "Globex secret plan" in _text(client.get("/?assignee=99999999"))
    assert "Call Carol" in _text(login_as(cast.admin).get("/"))


def test_my_work_of_an_analyst_is_their_own(session: Session, cast: Any, login_as: Any) -> None:
    _world(session, cast)
    body = _text(login_as(cast.analyst).get("/"))
    assert "<h1>My work</h1>" in body and "Call Carol" not in body and "Globex" not in body


def test_my_work_queries_do_not_grow_with_rows(app: Flask, session: Session, cast: Any,
                                               login_as: Any) -> None:
    client = login_as(cast.leader)
    client.get("/")
    engine = app.extensions["valuetracker.engine"]

    def count() -> int:
        statements: list[str] = []

        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            assert client.get("/").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)
        return len(statements)

    _world(session, cast)
    few = count()
    for n in range(30):
        person = make_stakeholder(session, cast.account2, f"Extra {n}")
        make_task(session, cast.account2, f"More work {n}", assignee=cast.am2,
                  stakeholder=person)
        make_signal(session, cast.account2, "key_not_contacted", stakeholder=person)
    session.commit()
    assert count() == few


def test_other_teams_tasks_are_not_found_and_readers_may_not_act(
        session: Session, cast: Any, login_as: Any) -> None:
    world = _world(session, cast)
    theirs = world["theirs"]
    am1 = login_as(cast.am1)
    assert am1.get(f"/tasks/{theirs.id}").status_code == 404
    assert am1.post(f"/tasks/{theirs.id}/done", data={"version": "1"}).status_code == 404
    assert "Globex secret plan" not in _text(am1.get("/tasks"))
    assert "Globex secret plan" not in _text(am1.get("/tasks?account=globex&status=all"))
    for reader in (cast.leader, cast.analyst):
        client = login_as(reader)
        page = client.get(f"/tasks/{theirs.id}")
        assert page.status_code == 200 and "Mark done" not in _text(page)
        assert "bulk-form" not in _text(client.get("/tasks"))
        for action in ("done", "dismiss", "reopen", "comments", "edit"):
            assert client.post(f"/tasks/{theirs.id}/{action}",
                               data={"version": "1"}).status_code == 403, action
        assert client.post("/tasks/bulk", data={"task_ids": str(theirs.id),
                                                "complete": "y"}).status_code == 403
        assert client.get("/tasks/new").status_code == 403
    # A bulk action naming someone else's task answers as opening it would: 404.
    response = am1.post("/tasks/bulk", data={"task_ids": [str(world["mine"].id),
                                                          str(theirs.id)], "complete": "y"})
    assert response.status_code == 404
    assert _reload(session, world["mine"]).status == "open"


def test_new_task_from_the_account_page(session: Session, cast: Any, login_as: Any) -> None:
    client = login_as(cast.am1)
    page = _text(client.get(f"/accounts/{cast.account1.slug}"))
    assert f'href="/accounts/{cast.account1.slug}/tasks/new"' in page
    form = page_form(client, f"/accounts/{cast.account1.slug}/tasks/new", having="title")
    assert form.value("assignee_id") == str(cast.am1.id)  # the owner by default
    response = client.post(form.action, data=form.data(
        title="Map the new CFO", stakeholder_id=str(cast.stakeholder1.id),
        due_on=(TODAY + timedelta(days=7)).isoformat()))
    assert response.status_code == 302
    task = session.exec(select(Task).where(Task.title == "Map the new CFO")).one()
    assert (task.account_id, task.assignee_id, task.stakeholder_id, task.source,
            task.created_by_id) == (cast.account1.id, cast.am1.id, cast.stakeholder1.id,
                                    "person", cast.am1.id)
    assert response.headers["Location"] == f"/tasks/{task.id}"
    assert "Map the new CFO" in _text(client.get(f"/accounts/{cast.account1.slug}"))


def test_new_task_form_refuses_bad_input_on_its_fields(session: Session, cast: Any,
                                                       login_as: Any) -> None:
    client = login_as(cast.am1)
    form = page_form(client, f"/accounts/{cast.account1.slug}/tasks/new", having="title")
    response = client.post(form.action, data=form.data(title="  "))
    assert response.status_code == 200 and "Say what is to be done." in _text(response)
    response = client.post(form.action, data=form.data(title="x", assignee_id=str(cast.am2.id)))
    assert response.status_code == 200 and "Not a valid choice" in _text(response)
    response = client.post(form.action, data=form.data(title="x", due_on="2026-13-45"))
    assert response.status_code == 200
    assert session.exec(select(sa.func.count()).select_from(Task)).one() == 0


def test_new_task_from_the_task_list(session: Session, cast: Any, login_as: Any) -> None:
    client = login_as(cast.am1)
    assert 'href="/tasks/new"' in _text(client.get("/tasks"))
    form = page_form(client, "/tasks/new", having="title")
    options = _text(client.get("/tasks/new"))
    assert "Acme Corp" in options and "Globex" not in options
    response = client.post(form.action, data=form.data(title="Prepare QBR"))
    assert "Choose the account." in _text(response)
    response = client.post(form.action, data=form.data(title="Prepare QBR",
                                                       account_id=str(cast.account1.id)))
    assert response.status_code == 302
    task = session.exec(select(Task).where(Task.title == "Prepare QBR")).one()
    assert task.account_id == cast.account1.id and task.assignee_id == cast.am1.id
    # Another team's account is not a choice.
    response = client.post(form.action, data=form.data(title="Sneaky",
                                                       account_id=str(cast.account2.id)))
    assert response.status_code == 200 and "Not a valid choice" in _text(response)


def test_edit_a_task_and_a_stale_edit_is_a_conflict(session: Session, cast: Any,
                                                   login_as: Any) -> None:
    world = _world(session, cast)
    task = world["mine"]
    client = login_as(cast.am1)
    form = page_form(client, f"/tasks/{task.id}/edit", having="version")
    assert form.value("title") == task.title
    stale = page_form(client, f"/tasks/{task.id}/edit", having="version")
    assert client.post(form.action, data=form.data(title="Call Carol today")).status_code == 302
    assert _reload(session, task).title == "Call Carol today"
    response = client.post(stale.action, data=stale.data(title="Something else"))
    assert response.status_code == 409 and "changed this task" in _text(response)
    assert _reload(session, task).title == "Call Carol today"


def test_done_dismiss_reopen_and_comment_as_rendered(session: Session, cast: Any,
                                                     login_as: Any) -> None:
    world = _world(session, cast)
    task = world["mine"]
    client = login_as(cast.am1)
    url = f"/tasks/{task.id}"

    comment = page_form(client, url, having="text")
    assert client.post(comment.action, data=comment.data(text="Left a voicemail")
                       ).status_code == 302
    assert "Left a voicemail" in _text(client.get(url))
    response = client.post(comment.action, data=comment.data(text=" "))
    assert response.status_code == 400 and "Write a comment." in _text(response)

    dismiss = page_form(client, url, having="reason")
    response = client.post(dismiss.action, data=dismiss.data())
    assert response.status_code == 400 and "Say why the task is dismissed." in _text(response)
    assert client.post(dismiss.action, data=dismiss.data(reason="Carol is on leave")
                       ).status_code == 302
    task = _reload(session, task)
    assert (task.status, task.dismissed_reason) == ("dismissed", "Carol is on leave")
    assert "Why: Carol is on leave" in _text(client.get(url))

    [reopen] = [f for f in rendered_forms(_text(client.get(url))) if "reopen" in f.action]
    assert client.post(reopen.action, data=reopen.data()).status_code == 302
    assert _reload(session, task).status == "open"

    [done] = [f for f in rendered_forms(_text(client.get(url))) if f.action.endswith("/done")]
    assert client.post(done.action, data=done.data()).status_code == 302
    task = _reload(session, task)
    assert task.status == "done" and task.done_at is not None
    actions = session.exec(select(AuditEvent.action).where(
        AuditEvent.entity == "task", AuditEvent.entity_id == str(task.id))
        .order_by(AuditEvent.id)).all()
    assert actions == ["dismiss", "reopen", "complete"]
    assert session.exec(select(TaskComment.text)).all() == ["Left a voicemail"]
    # The done task shows on the account's timeline.
    assert "Task done: Call Carol about the renewal" in _text(
        client.get(f"/accounts/{cast.account1.slug}/timeline"))


def test_a_button_pressed_on_a_stale_page_changes_nothing(session: Session, cast: Any,
                                                          login_as: Any) -> None:
    world = _world(session, cast)
    task = world["mine"]
    client = login_as(cast.am1)
    page = _text(client.get(f"/tasks/{task.id}"))
    [done] = [f for f in rendered_forms(page) if f.action.endswith("/done")]
    dismiss = [f for f in rendered_forms(page) if f.action.endswith("/dismiss")][0]
    assert client.post(done.action, data=done.data()).status_code == 302
    response = client.post(dismiss.action, data=dismiss.data(reason="Too late"))
    assert response.status_code == 409 and "Someone changed this task" in _text(response)
    assert _reload(session, task).status == "done"


def test_bulk_actions_as_rendered(session: Session, cast: Any, login_as: Any) -> None:
    world = _world(session, cast)
    colleague = make_user(session, "account_manager", email="cy@example.com", name="Cy Colleague")
    from valuetracker.models import AccountMember

    session.add(AccountMember(account_id=cast.account1.id, user_id=colleague.id))
    session.commit()
    client = login_as(cast.am1)
    ids = [str(world["mine"].id), str(world["overdue"].id)]

    def bulk_form() -> Any:
        [form] = [f for f in rendered_forms(_text(client.get("/tasks"))) if "task_ids" in f.names]
        return form

    form = bulk_form()
    assert set(ids) <= {v for v in _checkbox_values(_text(client.get("/tasks")))}
    response = client.post(form.action, data=form.data(task_ids=ids,
                                                       assignee_id=str(colleague.id),
                                                       reassign="Reassign"))
    assert response.status_code == 302 and response.headers["Location"] == "/tasks"
    assert {_reload(session, world[k]).assignee_id for k in ("mine", "overdue")} == {colleague.id}

    new_due = (TODAY + timedelta(days=21)).isoformat()
    form = bulk_form()
    assert client.post(form.action, data=form.data(task_ids=ids, due_on=new_due,
                                                   set_due="Change due date")).status_code == 302
    assert {_reload(session, world[k]).due_on.isoformat() for k in ("mine", "overdue")} == {
        new_due}

    form = bulk_form()
    response = client.post(form.action, data=form.data(task_ids=ids, complete="Mark done"),
                           follow_redirects=True)
    assert "2 tasks marked done." in _text(response)
    assert {_reload(session, world[k]).status for k in ("mine", "overdue")} == {"done"}

    # Nothing ticked, or no due date given: a message, no change.
    form = page_form(client, "/tasks?status=all", having="task_ids")
    response = client.post(form.action, data=form.data(complete="Mark done"),
                           follow_redirects=True)
    assert "Choose the tasks first" in _text(response)
    response = client.post(form.action, data=form.data(task_ids=ids, set_due="Change due date"),
                           follow_redirects=True)
    assert "Enter the new due date" in _text(response)
    # The filters come back after the action.
    response = client.post(form.action, data=form.data(task_ids=ids, complete="Mark done"))
    assert response.headers["Location"] == "/tasks?status=all"
    # So does a sort chosen with a header.
    form = page_form(client, "/tasks?status=all&sort=account", having="task_ids")
    response = client.post(form.action, data=form.data(task_ids=ids, complete="Mark done"))
    assert response.headers["Location"] == "/tasks?status=all&sort=account"
    # A back value with a line break (typed into the hidden field) is re-encoded, not a 500.
    response = client.post(form.action, data=form.data(task_ids=ids, complete="Mark done",
                                                       back="status=all\r\nX-Evil: 1"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/tasks?status=all%0D%0AX-Evil%3A+1"


def test_bulk_reassign_refuses_someone_off_the_team(session: Session, cast: Any,
                                                    login_as: Any) -> None:
    world = _world(session, cast)
    client = login_as(cast.am1)
    form = page_form(client, "/tasks", having="task_ids")
    response = client.post(form.action, data=form.data(task_ids=[str(world["mine"].id)],
                                                       assignee_id=str(cast.am2.id),
                                                       reassign="Reassign"),
                           follow_redirects=True)
    assert "Choose someone on the account's team." in _text(response)
    assert _reload(session, world["mine"]).assignee_id == cast.am1.id


def test_task_list_filters(session: Session, cast: Any, login_as: Any) -> None:
    _world(session, cast)
    client = login_as(cast.admin)
    body = _text(client.get("/tasks"))
    assert "Call Carol" in body and "Globex secret plan" in body and "Old done thing" not in body
    body = _text(client.get(f"/tasks?assignee={cast.am2.id}"))
    assert "Globex secret plan" in body and "Call Carol" not in body
    body = _text(client.get("/tasks?status=done"))
    assert "Old done thing" in body and "Call Carol" not in body
    body = _text(client.get("/tasks?account=acme-corp&status=all"))
    assert "Old done thing" in body and "Globex" not in body
    body = _text(client.get("/tasks?overdue=1"))
    assert "Send the QBR deck" in body and "Call Carol" not in body
    # Unknown filter values are ignored, never an error.
    assert client.get("/tasks?status=bogus&assignee=x&page=zz").status_code == 200


def _titles_in_order(body: str) -> list[str]:
    import re

    return re.findall(r'<a href="/tasks/\d+">([^<]+)</a>', body)


def test_task_list_sorts_by_its_headers(session: Session, cast: Any, login_as: Any) -> None:
    """Each sort header, as rendered, orders the list by its column; pressed again,
    the other way; the filters in use stay."""
    import re

    _world(session, cast)
    client = login_as(cast.admin)
    default = _titles_in_order(_text(client.get("/tasks")))
    assert default.index("Send the QBR deck") < default.index("Call Carol about the renewal")
    body = _text(client.get("/tasks?status=all"))
    href = re.search(r'<th scope="col"><a [^>]*href="([^"]+)">Account', body).group(1)
    assert "status=all" in href and "sort=account" in href
    by_account = _titles_in_order(_text(client.get(href)))
    # Acme's tasks before Globex's (account names A→Z), the done one included.
    assert by_account.index("Globex secret plan") == len(by_account) - 1
    assert "Old done thing" in by_account
    body = _text(client.get(href))
    assert "Account ▲" in body
    back = re.search(r'<th scope="col"><a [^>]*href="([^"]+)">Account', body).group(1)
    assert "sort=-account" in back
    assert _titles_in_order(_text(client.get(back)))[0] == "Globex secret plan"
    by_assignee = _titles_in_order(_text(client.get("/tasks?sort=-assignee")))
    assert by_assignee[0] == "Globex secret plan"  # am2's name after am1's
    for key in ("status", "created", "-due"):
        assert client.get(f"/tasks?sort={key}&status=all").status_code == 200


def test_task_list_notes_unknown_sort_and_filters(session: Session, cast: Any,
                                                  login_as: Any) -> None:
    _world(session, cast)
    client = login_as(cast.admin)
    body = _text(client.get("/tasks?sort=margin&status=bogus&colour=red&overdue=2"))
    notes = body.count('class="alert alert-warning py-2 small list-note"')
    assert notes == 4
    assert "Sorting by “margin” isn't available; sorted by due date." in body
    assert "“bogus” isn't a value of the status filter; ignored." in body
    assert "There is no filter “colour” on this list; ignored." in body
    # The status filter ignored: the default (open tasks), by due date.
    assert "Call Carol" in body and "Old done thing" not in body
    assert "list-note" not in _text(client.get("/tasks?status=all&sort=-created"))


def test_task_list_csv_link_follows_sort_and_filters(session: Session, cast: Any,
                                                     login_as: Any) -> None:
    import csv
    import io
    import re

    _world(session, cast)
    client = login_as(cast.admin)
    page = _text(client.get(f"/tasks?assignee={cast.am1.id}&status=all&sort=-due"))
    link = re.search(r'id="download-csv" href="([^"]+)"', page).group(1)
    rows = list(csv.DictReader(io.StringIO(client.get(link).get_data(as_text=True))))
    titles = [r["Title"] for r in rows]
    assert "Globex secret plan" not in titles and "Old done thing" in titles
    assert titles.index("Call Carol about the renewal") < titles.index("Send the QBR deck")


def test_task_list_saves_as_a_view(session: Session, cast: Any, login_as: Any) -> None:
    _world(session, cast)
    client = login_as(cast.am1)
    form = page_form(client, "/tasks?status=done&sort=-created", having="query")
    response = client.post(form.action, data=form.data(name="My done tasks"),
                           follow_redirects=True)
    assert response.status_code == 200
    from valuetracker.models import SavedView

    view = session.exec(select(SavedView).where(SavedView.name == "My done tasks")).one()
    assert view.endpoint == "tasks.index"
    assert view.query == "status=done&sort=-created"


def _checkbox_values(html: str) -> list[str]:
    import re

    return re.findall(r'name="task_ids" value="(\d+)"', html)


def test_task_list_csv_has_the_lists_filters_and_is_formula_safe(
        session: Session, cast: Any, login_as: Any) -> None:
    """The list's "Download CSV" link, as rendered, downloads every task of its filters
    (not only a page), scoped, text that a spreadsheet would run written as text."""
    import csv
    import io
    import re

    _world(session, cast)
    make_task(session, cast.account1, "=HYPERLINK(\"x\")", assignee=cast.am1)
    session.commit()
    client = login_as(cast.am1)
    page = client.get(f"/tasks?account={cast.account1.slug}&status=all").get_data(as_text=True)
    link = html.unescape(re.search(r'id="download-csv" href="([^"]+)"', page).group(1))
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    titles = {r["Title"] for r in rows}
    assert "Old done thing" in titles and "Globex secret plan" not in titles
    assert "'=HYPERLINK(\"x\")" in titles
    assert {r["Account"] for r in rows} == {cast.account1.name}
    open_rows = list(csv.DictReader(io.StringIO(client.get("/tasks?format=csv")
                                                .get_data(as_text=True))))
    assert "Old done thing" not in {r["Title"] for r in open_rows}


def test_the_account_pages_task_panel_counts_all_in_the_statement_of_its_page(
        app: Flask, session: Session, cast: Any, login_as: Any) -> None:
    from valuetracker.tasks import TaskFilters, list_tasks

    from .conftest import sql_statements

    for day in range(7):
        make_task(session, cast.account1, f"Task {day}", due_on=date(2026, 12, 1 + day))
    make_task(session, cast.account1, "Finished", status="done")
    make_task(session, cast.account2, "Elsewhere")
    session.commit()
    filters = TaskFilters(account_slug=cast.account1.slug)
    with sql_statements(app.extensions["valuetracker.engine"]) as statements:
        first = list_tasks(session, cast.am1, filters, size=5)
    assert len(statements) == 1
    assert first.total == 7 and first.pages == 2
    assert [r.task.title for r in first.items] == [f"Task {d}" for d in range(5)]
    second = list_tasks(session, cast.am1, filters, page=2, size=5)
    assert (second.total, [r.task.title for r in second.items]) == (7, ["Task 5", "Task 6"])
    none = list_tasks(session, cast.am1, TaskFilters(account_slug="no-such-account"), size=5)
    assert (none.total, none.items) == (0, [])
    html = login_as(cast.am1).get(f"/accounts/{cast.account1.slug}").get_data(as_text=True)
    assert "Task 4" in html and "Task 5" not in html
