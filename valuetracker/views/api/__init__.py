"""The JSON API under /api/v1 (docs/api.md): personal bearer tokens, the web's access
rules, forms and write functions, RFC 9457 problems, an OpenAPI 3.1 document and its
reference page."""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template, request

from . import accounts, deals, hooks, interviews, search, summaries, value, work  # noqa: F401 - routes on bp
from ._core import bp
from .spec import document

__all__ = ["bp"]


def _base_url() -> str:
    return request.host_url.rstrip("/") + bp.url_prefix


def _server_url() -> str:
    """The document's server: the site's root (its paths start with /api/v1)."""
    return request.host_url.rstrip("/")


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3.1 document (no token needed)."""
    return jsonify(document(_server_url()))


@bp.get("/")
def reference() -> str:
    """The reference page, rendered on the server from the same document."""
    return render_template("api/reference.html", spec=document(_server_url()),
                           base_url=_base_url())
