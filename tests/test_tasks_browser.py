"""In headless Chromium (CSRF on): an account manager signs in to My work, sees what
needs doing and why (a play's task from a signal, the signal, the renewal), comments on
the task and marks it done; adds a task from the account page, dismisses one with a
reason; on the task list ticks tasks and reassigns them, moves their due date and marks
them done."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from playwright.sync_api import expect
from sqlmodel import select

from valuetracker.models import AccountMember, Task
from valuetracker.tasks import run_plays

from .conftest import browser_login
from .factories import make_signal, make_stakeholder, make_task, make_user


def test_my_work_and_the_task_buttons(live_server: str, page: Any, cast: Any,
                                      session: Any) -> None:
    today = date.today()
    account = cast.account1
    account.renewal_date = today + timedelta(days=40)
    session.add(account)
    nina = make_stakeholder(session, account, "Nina Costa", buying_role="champion",
                            is_key=True)
    colleague = make_user(session, "account_manager", email="cy@example.com",
                          name="Cy Colleague")
    session.add(AccountMember(account_id=account.id, user_id=colleague.id))
    signal = make_signal(session, account, "key_stakeholder_left", stakeholder=nina,
                         since=today - timedelta(days=1),
                         message="Nina Costa (champion) left the company.")
    run_plays(session, opened=[signal])
    make_task(session, account, "Send the QBR deck", assignee=cast.am1,
              due_on=today - timedelta(days=3))
    session.commit()

    browser_login(page, live_server, cast.am1.email)
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    tasks_panel = page.locator("#my-tasks")
    expect(tasks_panel).to_contain_text("Find and map the successor of Nina Costa")
    expect(tasks_panel).to_contain_text("1 overdue")
    expect(page.locator("#new-signals")).to_contain_text("Nina Costa (champion) left")
    expect(page.locator("#renewals")).to_contain_text("Acme Corp")

    # The play's task: comment, then done.
    tasks_panel.get_by_role("link", name="Find and map the successor of Nina Costa").click()
    expect(page.locator(".task-signal")).to_contain_text("Nina Costa (champion) left")
    page.get_by_label("Comment").fill("Asked Carol who takes over")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_text("Comment added.")).to_be_visible()
    expect(page.locator(".task-comment")).to_contain_text("Asked Carol who takes over")
    page.get_by_role("button", name="Mark done").click()
    expect(page.get_by_text("Task done.")).to_be_visible()
    expect(page.locator(".task-facts")).to_contain_text("Done")

    # A new task from the account page, then dismissed with a reason.
    page.goto(f"{live_server}/accounts/{account.slug}")
    page.locator(".tasks-panel").get_by_role("link", name="New task").click()
    page.get_by_role("button", name="Add task").click()
    expect(page.locator(".invalid-feedback", has_text="Say what is to be done.")).to_be_visible()
    page.get_by_label("Task").fill("Invite Carol to the user day")
    page.get_by_label("About").select_option(label="Carol Buyer")
    page.get_by_label("Due").fill((today + timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Add task").click()
    expect(page.get_by_text("Task added.")).to_be_visible()
    page.get_by_role("button", name="Dismiss").click()
    expect(page.locator(".invalid-feedback", has_text="Say why")).to_be_visible()
    page.get_by_label("Why dismiss it?").fill("The user day is cancelled")
    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("Task dismissed.")).to_be_visible()
    page.get_by_role("button", name="Reopen").click()
    expect(page.get_by_text("Task reopened.")).to_be_visible()

    # Bulk: tick both open tasks, reassign, move the due date, mark done.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tasks").click()
    rows = page.locator(".task-row")
    expect(rows).to_have_count(2)
    new_due = (today + timedelta(days=30)).isoformat()

    def tick_all() -> None:
        for box in page.locator('input[name="task_ids"]').all():
            box.check()

    tick_all()
    page.get_by_label("Reassign to").select_option(label="Cy Colleague")
    page.get_by_role("button", name="Reassign").click()
    expect(page.get_by_text("2 tasks reassigned.")).to_be_visible()
    expect(rows.first).to_contain_text("Cy Colleague")
    tick_all()
    page.get_by_label("New due date").fill(new_due)
    page.get_by_role("button", name="Change due date").click()
    expect(page.get_by_text("Due date changed on 2 tasks.")).to_be_visible()
    expect(rows.first).to_contain_text(new_due)
    tick_all()
    page.get_by_role("button", name="Mark done").click()
    expect(page.get_by_text("2 tasks marked done.")).to_be_visible()
    expect(page.get_by_text("No open tasks.")).to_be_visible()

    session.expire_all()
    statuses = {t.title: (t.status, t.assignee_id) for t in session.exec(select(Task)).all()}
    assert statuses == {
        "Find and map the successor of Nina Costa": ("done", cast.am1.id),
        "Send the QBR deck": ("done", colleague.id),
        "Invite Carol to the user day": ("done", colleague.id),
    }
