"""Flask extensions, created unbound and attached in `create_app`."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"

csrf = CSRFProtect()

# Limits are keyed by the client's address unless a route says otherwise (the sign-in form
# keys by address and account, views/auth.py). That address is the socket's, or the one
# the trusted reverse proxies report (TRUSTED_PROXIES, security.configure_proxies).
# Storage is chosen in create_app: Redis when configured, else process memory.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
