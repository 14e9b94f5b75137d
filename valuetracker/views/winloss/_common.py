"""The win/loss blueprint, shared by its view modules."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("winloss", __name__)
