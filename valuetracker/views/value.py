"""Views of the value area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("value", __name__)
