"""Views of the public area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__)
