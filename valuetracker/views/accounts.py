"""Views of the accounts area (placeholder until the accounts pages land)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("accounts", __name__)


@bp.route("/")
@login_required
def index() -> str:
    return render_template("base.html")
