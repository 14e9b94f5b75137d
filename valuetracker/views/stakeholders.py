"""Views of the stakeholders area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("stakeholders", __name__)
