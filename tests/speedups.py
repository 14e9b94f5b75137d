"""Test-run speed-ups: work that every test's fresh app would redo, done once per process.

Every test builds its own app (`create_app`, and a second one for `live_server`), so that
no state leaks from one test to the next. Two parts of building and using an app cost far
more than the test itself and yield the same result each time:

- werkzeug compiles a URL builder (generated Python code) for every route of every new app:
  about 80 % of `create_app`. The code depends only on the rule's text and parts, so one
  compiled builder serves every app's rule with the same text (bound to each rule).
- Jinja compiles each template anew in every new app's environment. A shared in-memory
  bytecode cache (Jinja's own mechanism, keyed by template and checked against the source's
  checksum) compiles each template once per process.

Neither changes what an app does: the same code runs, only compiled once. Production
builds one app per process, so it has nothing to gain and keeps the libraries as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from jinja2.bccache import Bucket, BytecodeCache
from werkzeug.routing.rules import Rule

_compile_builder = Rule._compile_builder
_builders: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def _shared_builder(self: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
    """`Rule._compile_builder`, compiled once per distinct rule: the generated function
    reads everything else (converters, query encoding) from the rule it is bound to."""
    defaults = self.defaults or {}
    key = (self.rule, tuple(self._trace), append_unknown,
           tuple((name, repr(value),
                  self._converters[name].to_url(value) if name in self._converters else None)
                 for name, value in defaults.items()))
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _compile_builder(self, append_unknown)
    return builder


class SharedTemplateCode(BytecodeCache):
    """Jinja's compiled templates kept in this process's memory, for every app."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (data := self.code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(data)  # dropped if the source's checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


def install() -> None:
    """Turn both on for this process (the apps the tests build from then on)."""
    Rule._compile_builder = _shared_builder  # type: ignore[method-assign]
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": SharedTemplateCode()}
