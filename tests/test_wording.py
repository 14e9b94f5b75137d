"""Counts and possessives read as English on pages, in mails and in PDFs."""

from __future__ import annotations

import pytest

from valuetracker.wording import counted, listed, plural, possessive


@pytest.mark.parametrize(
    ("noun", "expected"),
    [("item", "items"), ("value entry", "value entries"), ("day", "days"),
     ("box", "boxes"), ("match", "matches"), ("person", "people"),
     ("key stakeholder", "key stakeholders")],
)
def test_plural(noun: str, expected: str) -> None:
    assert plural(noun) == expected


def test_counted_agrees_with_the_number() -> None:
    assert counted(1, "value entry") == "1 value entry"
    assert counted(0, "value entry") == "0 value entries"
    assert counted(2, "item") == "2 items"
    assert counted(1200, "item") == "1,200 items"
    assert counted(3, "more entry", "more entries") == "3 more entries"


def test_listed_joins_as_english_lists() -> None:
    assert listed([]) == ""
    assert listed(["the year to date"]) == "the year to date"
    assert listed(["a", "b"]) == "a and b"
    assert listed(["a", "b", "c"]) == "a, b and c"


def test_possessive() -> None:
    assert possessive("Maria") == "Maria's"
    assert possessive("Acme Robotics") == "Acme Robotics'"
    assert possessive("  ") == ""


def test_templates_use_the_filters(app) -> None:
    with app.test_request_context():
        env = app.jinja_env
        text = env.from_string('{{ n|counted("item") }} · {{ name|possessive }}').render(
            n=1, name="Acme Robotics")
    assert text == "1 item · Acme Robotics&#39;"  # autoescaped, as on every page


def test_days_ago() -> None:
    from valuetracker.wording import days_ago

    assert [days_ago(n) for n in (0, 1, 8)] == ["today", "1 day ago", "8 days ago"]
