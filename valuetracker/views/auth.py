"""Log in and out, with failed sign-ins throttled.

Two limits guard the sign-in form. Both count only *failed* attempts (a password was
checked and refused; flask-limiter's `deduct_when`), so signing in never uses one up:

- LOGIN_RATE_LIMIT (default "10 per minute") per client address *and* submitted email.
  One person's wrong passwords lock out only that email from that address, never a
  colleague behind the same office address or reverse proxy. The client address is the
  socket's, or the one the trusted proxies report (TRUSTED_PROXIES, see
  `security.configure_proxies`).
- LOGIN_ACCOUNT_RATE_LIMIT (default "50 per hour") per submitted email from any
  address: it stops a slow guessing attack spread over many addresses.

Over either, the sign-in page answers 429, says why and when to try again, and does not
check the password. The counters live in the limiter's storage (Redis when REDIS_URL is
set, else process memory); the email reaches it only as a keyed hash of fixed length.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask.wrappers import Response
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from .. import audit
from ..db import get_session
from ..extensions import limiter
from ..models import User, utcnow
from ..security import check_password, hash_password
from ..sessions import sign_in, sign_out

bp = Blueprint("auth", __name__)

# Verified against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = None

# Longer than the form accepts (Length(max=255)): such a value never reaches a password
# check, so cutting it here cannot merge two real accounts' counters.
_EMAIL_KEY_CHARS = 256


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=255)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in")


def _normalized_email(raw: str) -> str:
    """The email as accounts are stored and looked up: trimmed, lower-case."""
    return raw.strip().lower()


def _account_key() -> str:
    """The limiter key of the submitted email: a keyed hash of fixed length.

    Read before the form is validated, so the field may be missing, huge or garbage; the
    hash bounds the key and keeps email addresses out of the limiter's storage.
    """
    email = _normalized_email(request.form.get("email", "")[:_EMAIL_KEY_CHARS])
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, email.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]


def _address_account_key() -> str:
    """The limiter key of (client address, submitted email)."""
    return f"{get_remote_address()}|{_account_key()}"


def _password_refused(response: Response) -> bool:
    """Whether this request was a failed sign-in, the only kind the limits count."""
    return bool(g.get("login_refused"))


def _retry_in() -> str:
    """How long until the breached limit lets this email try again, in words."""
    breached = limiter.current_limit
    seconds = breached.reset_at - time.time() if breached is not None else 60
    minutes = max(1, math.ceil(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def _safe_next(target: str | None) -> str:
    """`next` only if it is a path on this site.

    Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil" and
    "/<tab>/evil" would leave the site like "//evil": such targets are refused too.
    """
    if target and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target and target.isprintable() and " " not in target \
            and urlsplit(target).netloc == "" and urlsplit(target).scheme == "":
        return target
    return url_for("work.my_work")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_address_account_key,
               scope="address+account", methods=["POST"], deduct_when=_password_refused)
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], key_func=_account_key,
               scope="account", methods=["POST"], deduct_when=_password_refused)
def login() -> object:
    global _DUMMY_HASH
    if current_user.is_authenticated:
        return redirect(url_for("work.my_work"))
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        email = _normalized_email(form.email.data)
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None:
            _DUMMY_HASH = _DUMMY_HASH or hash_password("not-a-password")
            check_password(_DUMMY_HASH, form.password.data)
        if user and user.active and check_password(user.password_hash, form.password.data):
            user.last_login_at = utcnow()
            audit.record(session, "login", "user", user.id, f"{user.email} logged in",
                         user_id=user.id)
            sign_in(session, user, remember=form.remember.data)
            session.commit()
            return redirect(_safe_next(request.args.get("next")))
        # Counted by the limits even if writing the audit event fails.
        g.login_refused = True
        audit.record(session, "login_failed", "user", user.id if user else None,
                     f"failed login for {email}", user_id=user.id if user else None)
        session.commit()
        form.password.errors.append("Email or password is not correct.")
    return render_template("auth/login.html", form=form)


@bp.errorhandler(RateLimitExceeded)
def too_many_failed_logins(error: RateLimitExceeded) -> tuple[str, int]:
    """The sign-in form again, as 429, saying why and when to try again.

    The limiter answers before the view runs, so the password was not checked. The email
    stays filled in; Retry-After is set by the limiter.
    """
    message = (f"Too many failed sign-ins for this account. Wait {_retry_in()} and try "
               "again, or ask an administrator to reset your password if you have "
               "forgotten it.")
    return render_template("auth/login.html", form=LoginForm(), locked_out=message), 429


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> object:
    """Sign out, ending this session on the server: a copy of its cookies stops working."""
    session = get_session()
    sign_out(session)
    session.commit()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
