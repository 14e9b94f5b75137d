"""English wording for counts and names, shared by web pages, e-mails and PDFs.

Small on purpose: the app writes a handful of nouns into sentences ("1 value entry",
"3 value entries", "Acme Robotics' team"), and a rule written once here keeps every
page, mail and summary saying it the same way.
"""

from __future__ import annotations

# Nouns whose plural is not made by the rules below.
_IRREGULAR = {"person": "people", "child": "children", "criterion": "criteria"}


def plural(noun: str) -> str:
    """The plural of an English noun or of a phrase ending in one ("value entry" ->
    "value entries")."""
    head, _, last = noun.rpartition(" ")
    prefix = f"{head} " if head else ""
    lower = last.lower()
    if lower in _IRREGULAR:
        return prefix + _IRREGULAR[lower]
    if lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
        return prefix + last[:-1] + "ies"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return prefix + last + "es"
    return prefix + last + "s"


def counted(count: int, noun: str, noun_plural: str | None = None) -> str:
    """`count` and the noun agreeing with it: "1 item", "0 items", "2 value entries"."""
    word = noun if count == 1 else (noun_plural or plural(noun))
    return f"{count:,} {word}"


def possessive(name: str) -> str:
    """A name in the possessive: "Maria's", "Acme Robotics'" (no "Robotics's")."""
    name = name.strip()
    if not name:
        return name
    return f"{name}'" if name[-1] in "sS" else f"{name}'s"


def listed(items: list[str]) -> str:
    """Items as English lists them: "a", "a and b", "a, b and c"."""
    if len(items) <= 2:
        return " and ".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def days_ago(days: int) -> str:
    """How long ago, in whole days: "today", "1 day ago", "8 days ago"."""
    return "today" if days <= 0 else f"{counted(days, 'day')} ago"
