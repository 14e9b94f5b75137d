"""Views of the jobs area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("jobs", __name__)
