"""Views of the winloss area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("winloss", __name__)
