"""Views of the portfolio area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("portfolio", __name__)
