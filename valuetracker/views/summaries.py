"""Views of the summaries area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("summaries", __name__)
