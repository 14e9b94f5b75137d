"""The signed-in user's personal API tokens: create (the token is shown once), list,
revoke. Each user sees and revokes only their own."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .. import api_tokens
from ..db import get_session
from ..forms import EmptyForm, LineField, choices
from ._request import require_button

bp = Blueprint("api_tokens", __name__, url_prefix="/settings/api-tokens")


class TokenForm(FlaskForm):
    name = LineField("Name", validators=[DataRequired(), Length(max=api_tokens.NAME_MAX)],
                     description="Where it is used, e.g. “CRM sync” or “my laptop”.")
    scope = SelectField("Scope", choices=choices({"read": "Read only",
                                                  "write": "Read and write"}),
                        default="read")
    expires_days = IntegerField(
        "Expires after (days)", default=90,
        validators=[Optional(), NumberRange(min=1, max=api_tokens.EXPIRES_DAYS_MAX)],
        description="Leave empty for a token that does not expire.")


def _page(form: TokenForm, new_token: str | None = None) -> str:
    return render_template("api_tokens/index.html", form=form, new_token=new_token,
                           tokens=api_tokens.user_tokens(get_session(), current_user),
                           revoke_form=EmptyForm(), now=api_tokens.utcnow())


@bp.route("", methods=["GET", "POST"])
@login_required
def index() -> Any:
    form = TokenForm()
    if form.validate_on_submit():
        session = get_session()
        _row, token = api_tokens.create_token(
            session, current_user, name=form.name.data, scope=form.scope.data,
            expires_days=form.expires_days.data, user=current_user)
        session.commit()
        # Shown on this answer alone (not flashed into the session cookie, no redirect).
        return _page(TokenForm(formdata=None), new_token=token)
    return _page(form)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int) -> Any:
    session = get_session()
    row = api_tokens.get_user_token(session, current_user, token_id)
    if row is None:
        abort(404)
    require_button()
    api_tokens.revoke_token(session, row, user=current_user)
    session.commit()
    flash(f"Token “{row.name}” revoked.", "success")
    return redirect(url_for("api_tokens.index"))
