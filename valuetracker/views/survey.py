"""Views of the buyer survey (public, signed links)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("survey", __name__)
