"""Log in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from .. import audit
from ..db import get_session
from ..extensions import limiter
from ..models import User, utcnow
from ..security import check_password, hash_password

bp = Blueprint("auth", __name__)

# Verified against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = None


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=255)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in")


def _safe_next(target: str | None) -> str:
    """`next` only if it is a path on this site.

    Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil" and
    "/<tab>/evil" would leave the site like "//evil": such targets are refused too.
    """
    if target and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target and target.isprintable() and " " not in target \
            and urlsplit(target).netloc == "" and urlsplit(target).scheme == "":
        return target
    return url_for("accounts.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login() -> object:
    global _DUMMY_HASH
    if current_user.is_authenticated:
        return redirect(url_for("accounts.index"))
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        email = form.email.data.strip().lower()
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None:
            _DUMMY_HASH = _DUMMY_HASH or hash_password("not-a-password")
            check_password(_DUMMY_HASH, form.password.data)
        if user and user.active and check_password(user.password_hash, form.password.data):
            user.last_login_at = utcnow()
            audit.record(session, "login", "user", user.id, f"{user.email} logged in",
                         user_id=user.id)
            session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        audit.record(session, "login_failed", "user", user.id if user else None,
                     f"failed login for {email}", user_id=user.id if user else None)
        session.commit()
        form.password.errors.append("Email or password is not correct.")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> object:
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
