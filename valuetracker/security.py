"""Password hashing, security headers, the secret-key rule and trusted proxies."""

from __future__ import annotations

import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import ENVIRONMENTS, MIN_SECRET_KEY_LENGTH, ConfigError

# argon2id with the library's defaults (t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


NUL_MESSAGE = ("The request contains a NUL character (\\0), which no text may hold. "
               "Remove it and try again.")


def refuse_nul_bytes() -> None:
    """Before every request: 400 when the path, a query string or a form field (name or
    value) holds a NUL character. PostgreSQL refuses NUL in text, so it would otherwise
    fail deep in a query (500); no field of the app has a use for it."""
    if "\x00" in request.path:
        abort(400, NUL_MESSAGE)
    for values in (request.args, request.form):
        for name, value in values.items(multi=True):
            if "\x00" in name or "\x00" in value:
                abort(400, NUL_MESSAGE)


def configure_secret_key(app: Flask) -> None:
    """Production refuses to start without a long VALUETRACKER_SECRET_KEY.

    Every node must sign sessions and stakeholder links with the same key, so none may
    invent its own. Development installations get a random key kept in
    `instance/secret_key`, so sessions survive restarts without a secret in the code.
    """
    env = app.config.get("ENV")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"VALUETRACKER_ENV={env!r} is not known: use production "
                          f"(the default) or development.")
    key = app.config.get("SECRET_KEY")
    if env == "production":
        if not key:
            raise ConfigError(
                "VALUETRACKER_SECRET_KEY is not set: set it to a random value of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters, the same on every node (python3 -c "
                "'import secrets; print(secrets.token_hex(32))'), or set "
                "VALUETRACKER_ENV=development on a laptop.")
        if len(str(key)) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"VALUETRACKER_SECRET_KEY is too short ({len(str(key))} characters): use a "
                f"random value of at least {MIN_SECRET_KEY_LENGTH} (python3 -c "
                "'import secrets; print(secrets.token_hex(32))').")
        return
    if key:
        return
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def configure_cookies(app: Flask) -> None:
    """Session and remember-me cookies only travel over HTTPS when the site is served so.

    BASE_URL says how users reach the app; behind HTTPS a cookie without `Secure` could
    still be sent (and stolen) over a plain-HTTP request to the same host.
    """
    if str(app.config.get("BASE_URL") or "").lower().startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def configure_proxies(app: Flask) -> None:
    """Believe the `X-Forwarded-*` headers of TRUSTED_PROXIES reverse proxies (default 0).

    Behind a proxy every request arrives from the proxy's address, so the client's own
    address (audit trail, login throttling), scheme (HTTPS checks) and host reach the app
    only through `X-Forwarded-For`, `-Proto`, `-Host`, `-Port` and `-Prefix`. With N > 0
    Werkzeug's ProxyFix takes the N-th value from the right of each of them, the one the
    outermost trusted proxy wrote; anything a client put further left is ignored. The
    proxies must overwrite (not pass on) every header they do not set themselves.
    With 0 these headers are ignored: a client talking to the app directly could
    otherwise choose its own address and escape the per-address limits.
    """
    count = int(app.config.get("TRUSTED_PROXIES") or 0)
    if count <= 0:
        return
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count, x_prefix=count
    )
