"""Text that may reach a mail header is one line everywhere: the admin's user and
branding forms, and one-line columns of an import (a description may have line breaks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session, func, select

from valuetracker.models import Account, User, ValueEntry

from .conftest import Cast


def test_admin_name_and_company_name_refuse_line_breaks(login_as: Any, cast: Cast,
                                                        session: Session) -> None:
    admin = login_as(cast.admin)
    page = admin.post(f"/admin/users/{cast.am1.id}/edit",
                      data={"name": "Alice\r\nBcc: x@evil.example", "role": "account_manager",
                            "active": "y", "version": "1", "password": ""})
    assert page.status_code == 200
    assert "Use a single line (no line breaks)." in page.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, cast.am1.id).name == "Alice Manager"
    page = admin.post("/admin/branding", data={"company_name": "Acme\nBcc: x@evil.example",
                                               "primary_color": "#123456"})
    assert "Use a single line (no line breaks)." in page.get_data(as_text=True)


def test_an_import_refuses_a_line_break_in_a_one_line_column(runner: Any, cast: Cast,
                                                             session: Session,
                                                             tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text('name,segment\n"Line\nBreak Inc",Enterprise\n', encoding="utf-8")
    result = runner.invoke(args=["import", "accounts", str(accounts)])
    assert result.exit_code != 0
    assert "must be on one line" in result.output
    assert session.exec(select(func.count()).select_from(Account)).one() == 2  # the cast's

    value = tmp_path / "value.csv"
    value.write_text('account,title,driver,amount,delivered_on,description\n'
                     'Acme Corp,Faster close,productivity,1000,2026-08-01,"Two\nlines"\n',
                     encoding="utf-8")
    result = runner.invoke(args=["import", "value", str(value)])
    assert result.exit_code == 0, result.output
    (entry,) = session.exec(select(ValueEntry)).all()
    assert entry.description == "Two\nlines"
