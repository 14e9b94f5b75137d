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

# Storage is chosen in create_app: Redis when configured, else process memory.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
