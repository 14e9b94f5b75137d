"""/api/v1/search: what the search box finds (`valuetracker.search`), grouped by kind,
among the rows you may see, as the web's `/search?q=` answers it."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_login import current_user

from ... import search as domain
from ...db import get_session
from ..search import MAX_QUERY
from . import _core as core
from ._core import bp
from .spec import doc


@bp.get("/search")
@doc("search")
def search() -> Any:
    """Search accounts, people, deals, value entries, commitments, quotes and interviews
    (`q`: every word must match, as a prefix; `kind`: one group, up to 50 of it, else up
    to 10 of each), best first, each group with its total."""
    text = (request.args.get("q") or "").strip()
    if len(text) > MAX_QUERY:
        raise core.Invalid({"q": [f"At most {MAX_QUERY} characters."]})
    kind = core.one_of("kind", domain.BY_KIND)
    results = domain.search(get_session(), current_user, text,
                            kinds=(kind,) if kind else None,
                            per_kind=50 if kind else domain.PER_KIND)
    return jsonify({"query": text, "total": results.total, "groups": [
        {"kind": g.kind, "label": g.label, "total": g.total, "items": [
            {"kind": h.kind, "id": h.id, "title": h.title.striptags(),
             "snippet": h.snippet.striptags(), "title_html": str(h.title),
             "snippet_html": str(h.snippet), "context": h.context,
             "url": url_for(h.endpoint, **h.values)} for h in g.hits]}
        for g in results.groups]})
