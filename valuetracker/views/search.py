"""The search page (`/search?q=`): what the box in every page's header finds, grouped
by kind, among the rows the user may see (`valuetracker.search`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from .. import search as domain
from ..db import get_session

bp = Blueprint("search", __name__)

MAX_QUERY = 200  # characters of a query kept; a longer one is cut, and the page says so


@bp.get("/search")
@login_required
def index() -> Any:
    text = (request.args.get("q") or "").strip()
    cut = len(text) > MAX_QUERY
    text = text[:MAX_QUERY]
    kind = request.args.get("kind") or None
    unknown_kind = kind is not None and kind not in domain.BY_KIND
    kinds = (kind,) if kind and not unknown_kind else None
    results = domain.search(get_session(), current_user, text, kinds=kinds,
                            per_kind=50 if kinds else domain.PER_KIND)
    return render_template("search/results.html", results=results, kind=kinds[0] if kinds
                           else None, unknown_kind=kind if unknown_kind else None,
                           cut=cut, max_query=MAX_QUERY, max_words=domain.MAX_WORDS)
