"""Forms as a browser would submit them: every <form> of a page with its action and the
values it sends unchanged (text, hidden and checked inputs, selected options,
textareas), so a test posts exactly what the page renders with only chosen fields
changed, never a hand-built dictionary."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any

from werkzeug.datastructures import MultiDict


@dataclass
class RenderedForm:
    """One <form> of a page: its action and the values a browser would submit."""

    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    # (name, value) of its <button>s with a name: only the pressed one is submitted.
    buttons: set[tuple[str, str]] = field(default_factory=set)

    def data(self, **changes: str | list[str]) -> MultiDict[str, str]:
        """What the browser submits, with `changes` (field name -> new value) replacing
        the rendered values; every changed name must be a field of the form."""
        unknown = set(changes) - self.names
        assert not unknown, f"not fields of the form: {unknown} (fields: {self.names})"
        for name, value in changes.items():
            if any(b == name for b, _v in self.buttons) and name not in self._field_names():
                assert (name, value) in self.buttons, f"no button {name}={value!r}"
        pairs = [(n, v) for n, v in self.fields if n not in changes]
        for name, value in changes.items():
            for v in ([value] if isinstance(value, str) else value):
                pairs.append((name, v))
        return MultiDict(pairs)

    def _field_names(self) -> set[str]:
        return {n for n, _v in self.fields} | (self.names - {b for b, _v in self.buttons})

    def value(self, name: str) -> str:
        return next(v for n, v in self.fields if n == name)


class _FormReader(HTMLParser):
    """Every form of a page with what a browser would submit for it unchanged: text,
    hidden and checked inputs, selected options (or a single select's first option)
    and textareas."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[RenderedForm] = []
        self._select: tuple[str, bool, list[str], list[str]] | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(RenderedForm(a.get("method", "get").lower(), a.get("action", "")))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            form.names.add(name)
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                form.fields.append((name, a.get("value", "")))
        elif tag == "button" and name and "disabled" not in a:
            form.names.add(name)
            form.buttons.add((name, a.get("value", "")))
        elif tag == "select" and name:
            form.names.add(name)
            self._select = (name, "multiple" in a, [], [])
        elif tag == "option" and self._select is not None:
            _name, _multiple, options, selected = self._select
            options.append(a.get("value", ""))
            if "selected" in a:
                selected.append(a.get("value", ""))
        elif tag == "textarea" and name:
            form.names.add(name)
            self._textarea = (name, [])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None and self.forms:
            name, multiple, options, selected = self._select
            chosen = selected if multiple else (selected[-1:] or options[:1])
            self.forms[-1].fields.extend((name, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self.forms:
            name, parts = self._textarea
            text = "".join(parts)
            # A browser drops the one line break that follows <textarea>.
            for lead in ("\r\n", "\n"):
                if text.startswith(lead):
                    text = text[len(lead):]
                    break
            self.forms[-1].fields.append((name, text))
            self._textarea = None


def rendered_forms(html: str) -> list[RenderedForm]:
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


def rendered_form(html: str, *, having: str = "version") -> RenderedForm:
    """The one POST form of the page with a field named `having`."""
    forms = [f for f in rendered_forms(html) if f.method == "post" and having in f.names]
    assert len(forms) == 1, f"{len(forms)} post forms with {having!r}"
    return forms[0]


def posting_to(html: str, action: str, *, having: str | None = None) -> RenderedForm:
    """The one POST form of the page that posts to `action` (with a field named `having`):
    a button, or one form of several on the page."""
    forms = [f for f in rendered_forms(html) if f.method == "post" and f.action == action
             and (having is None or having in f.names)]
    assert len(forms) == 1, f"{len(forms)} post forms to {action!r}"
    return forms[0]


def page_html(client: Any, url: str) -> str:
    """The page at `url`, which answers 200."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def page_text(html: str) -> str:
    """The page's text: tags dropped, entities read, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def page_form(client: Any, url: str, *, having: str = "version") -> RenderedForm:
    form = rendered_form(page_html(client, url), having=having)
    if not form.action:
        form.action = url
    return form
