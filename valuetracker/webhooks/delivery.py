"""Sending webhook deliveries: signing, the address check, the HTTP call, retries, and
disabling an endpoint that keeps failing. Run by the worker only (`worker.py`), never by
a web request.

Signing follows the Standard Webhooks specification: `webhook-id` (the event's id, the
same on every retry), `webhook-timestamp` (this attempt, Unix seconds) and
`webhook-signature`, `v1,` and the base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" keyed
with the base64-decoded part of the endpoint's `whsec_` secret.

No request forgery: the host is resolved at each attempt and every address it resolves
to is checked (`refused_address`: loopback, private, link-local, shared, reserved,
multicast, unspecified) unless WEBHOOKS_ALLOW_PRIVATE; the request then goes to the
checked address itself (the Host header and TLS name stay the URL's), so a second DNS
answer cannot send it elsewhere. Redirects are never followed (a 3xx is a failure),
the attempt has WEBHOOKS_TIMEOUT seconds, and only the first RESPONSE_LOG_CHARS of the
answer are kept.

Retries: a failed attempt is tried again after RETRY_DELAYS (5 s, then 1 min, 5 min,
30 min, 2 h, 5 h, 8 h, 8 h: nine attempts over about a day); after the last the
delivery is dead. An endpoint is disabled, and its owner mailed, when a delivery dies
or when it has failed without a single success for DISABLE_AFTER (a day).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import os
import smtplib
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import sqlalchemy as sa
from flask import current_app
from sqlmodel import Session, select

from .. import audit, mail
from ..models import User, WebhookDelivery, WebhookEndpoint, utcnow

log = logging.getLogger(__name__)

RETRY_DELAYS = (timedelta(seconds=5), timedelta(minutes=1), timedelta(minutes=5),
                timedelta(minutes=30), timedelta(hours=2), timedelta(hours=5),
                timedelta(hours=8), timedelta(hours=8))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
DISABLE_AFTER = timedelta(days=1)
# An attempt in flight holds its delivery this long; a worker killed mid-send leaves it
# to be tried again after that (longer than any attempt can last).
LEASE = timedelta(minutes=5)
RESPONSE_LOG_CHARS = 1000
RESPONSE_READ_BYTES = 16 * 1024
DUE_STATUSES = ("pending", "failed")
BATCH = 50
# HTTP calls of one batch in flight at once (receivers are often slow, rarely busy).
SEND_THREADS = 8
USER_AGENT = "valuetracker-webhooks/1"


class RefusedAddress(Exception):
    """The URL's host is, or resolves to, an address webhooks may not reach."""


# -- signing ----------------------------------------------------------------------------


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header for one attempt."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(endpoint: WebhookEndpoint, delivery: WebhookDelivery, timestamp: int
            ) -> dict[str, str]:
    return {"content-type": "application/json", "user-agent": USER_AGENT,
            "webhook-id": delivery.event_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(endpoint.secret, delivery.event_id, timestamp,
                                      delivery.body.encode())}


# -- the address check ------------------------------------------------------------------


def refused_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private, link-local, shared (100.64/10), reserved, multicast or
    unspecified: anything but a public unicast address (IPv4-mapped IPv6 as its IPv4)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (not ip.is_global or ip.is_loopback or ip.is_private or ip.is_link_local
            or ip.is_reserved or ip.is_multicast or ip.is_unspecified)


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to for `host`: resolved now, each answer checked."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedAddress(f"cannot resolve {host}: {exc}") from None
    addresses = [str(info[4][0]) for info in answers]
    if not addresses:
        raise RefusedAddress(f"cannot resolve {host}")
    if not allow_private:
        for text in addresses:
            if refused_address(ipaddress.ip_address(text.split("%")[0])):
                raise RefusedAddress(
                    f"{host} resolves to {text}, a private or reserved address "
                    "(set VALUETRACKER_WEBHOOKS_ALLOW_PRIVATE=1 to allow it)")
    return addresses[0]


# -- one attempt ------------------------------------------------------------------------


@dataclass
class Attempt:
    """What one HTTP attempt gave: a status code, or an error (and how long it took)."""

    ok: bool = False
    code: int | None = None
    body: str | None = None
    error: str | None = None
    duration_ms: int = 0


_clients: dict[tuple[int, float], httpx.Client] = {}


def _client(timeout: float) -> httpx.Client:
    """One pooled client per process (the worker's processes are forked) and timeout."""
    key = (os.getpid(), timeout)
    client = _clients.get(key)
    if client is None:
        client = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False,
                              trust_env=False,
                              limits=httpx.Limits(max_connections=20,
                                                  max_keepalive_connections=10))
        # A forked child drops its parent's clients (their sockets are shared).
        for old in [k for k in _clients if k[0] != key[0]]:
            del _clients[old]
        _clients[key] = client
    return client


def post(url: str, body: bytes, extra_headers: dict[str, str], *, allow_private: bool,
         timeout: float) -> Attempt:
    """POST `body` to `url` under the rules above; never raises for the receiver's faults."""
    started = time.monotonic()
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = resolve(host, port, allow_private=allow_private)
    except RefusedAddress as exc:
        return Attempt(error=str(exc))
    netloc_host = f"[{address}]" if ":" in address else address
    target = urlunsplit((parts.scheme, f"{netloc_host}:{port}", parts.path or "/",
                         parts.query, ""))
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    if ":" in host:
        host_header = f"[{host}]" if parts.port is None else f"[{host}]:{parts.port}"
    client = _client(timeout)
    request = client.build_request(
        "POST", target, content=body, headers={**extra_headers, "host": host_header},
        extensions={"sni_hostname": host} if parts.scheme == "https" else {})
    try:
        response = client.send(request, stream=True)
        try:
            raw = b""
            for chunk in response.iter_raw():
                raw += chunk
                if len(raw) >= RESPONSE_READ_BYTES or time.monotonic() - started > timeout:
                    break
        finally:
            response.close()
    except httpx.HTTPError as exc:
        return Attempt(error=f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__,
                       duration_ms=_ms(started))
    text = raw.decode("utf-8", "replace")[:RESPONSE_LOG_CHARS]
    attempt = Attempt(ok=200 <= response.status_code < 300, code=response.status_code,
                      body=text, duration_ms=_ms(started))
    if response.is_redirect:
        attempt.error = ("redirect not followed (Location: "
                         f"{response.headers.get('location', '')[:300]})")
    elif not attempt.ok:
        attempt.error = f"HTTP {response.status_code}"
    return attempt


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# -- the worker's part -----------------------------------------------------------------


@dataclass
class DrainRun:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    disabled: list[int] = field(default_factory=list)  # endpoint ids

    @property
    def attempted(self) -> int:
        return self.delivered + self.failed + self.dead


def due_condition(now: datetime) -> Any:
    return sa.and_(WebhookDelivery.status.in_(DUE_STATUSES),  # type: ignore[attr-defined]
                   WebhookDelivery.next_attempt_at <= now)


def claim_due(session: Session, *, now: datetime, limit: int = BATCH) -> list[int]:
    """Take up to `limit` due deliveries of enabled endpoints: each one's attempt counter
    goes up and its next attempt moves a LEASE ahead, by a conditional UPDATE, so a
    delivery is claimed by one worker only. Commits."""
    rows = session.exec(
        select(WebhookDelivery.id, WebhookDelivery.attempt)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(due_condition(now), WebhookEndpoint.enabled.is_(True))  # type: ignore
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)).all()
    claimed = []
    for delivery_id, attempt in rows:
        result = session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.attempt == attempt,
                   due_condition(now))
            .values(attempt=attempt + 1, next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(delivery_id)
    session.commit()
    return claimed


def deliver(session: Session, delivery_ids: list[int], *, now: datetime | None = None,
            run: DrainRun | None = None) -> DrainRun:
    """Make the claimed attempt of each delivery and record them. The HTTP calls run side
    by side (SEND_THREADS at a time) and outside any transaction; the results are saved
    in one transaction. Commits."""
    run = run if run is not None else DrainRun()
    if not delivery_ids:
        return run
    # populate_existing: the claim changed the rows behind this session's back.
    rows = session.exec(
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id.in_(delivery_ids))  # type: ignore[union-attr]
        .order_by(WebhookDelivery.id)
        .execution_options(populate_existing=True)).all()
    session.commit()
    config = current_app.config
    allow_private = bool(config.get("WEBHOOKS_ALLOW_PRIVATE"))
    timeout = float(config.get("WEBHOOKS_TIMEOUT") or 5)
    _client(timeout)  # made here, not by several threads at once

    def attempt(pair: tuple[WebhookDelivery, WebhookEndpoint]) -> Attempt:
        delivery, endpoint = pair
        # The header is the real time of sending (receivers check it is recent), even
        # when `now` (the schedule's clock) is given.
        return post(endpoint.url, delivery.body.encode(),
                    headers(endpoint, delivery, int(time.time())),
                    allow_private=allow_private, timeout=timeout)

    if len(rows) == 1:
        results = [attempt(rows[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(SEND_THREADS, len(rows))) as pool:
            results = list(pool.map(attempt, rows))
    for (delivery, endpoint), result in zip(rows, results, strict=True):
        record_attempt(session, delivery, endpoint, result, now=now or utcnow(), run=run)
    succeeded = {endpoint.id for (_d, endpoint), result in zip(rows, results, strict=True)
                 if result.ok}
    if succeeded:
        # A success ends the endpoint's failure record: one conditional UPDATE per batch,
        # on the database's value (another worker may have just recorded a failure).
        session.execute(sa.update(WebhookEndpoint)
                        .where(WebhookEndpoint.id.in_(succeeded),  # type: ignore[union-attr]
                               WebhookEndpoint.failing_since.is_not(None))  # type: ignore
                        .values(failing_since=None)
                        .execution_options(synchronize_session=False))
    session.commit()
    return run


def record_attempt(session: Session, delivery: WebhookDelivery, endpoint: WebhookEndpoint,
                   attempt: Attempt, *, now: datetime, run: DrainRun) -> None:
    """Log the attempt on the delivery; schedule the retry, or let it die; on a failure,
    keep the endpoint's failure record, disabling it when it has failed long enough
    (`deliver` clears the record after a success)."""
    delivery.last_attempt_at = now
    delivery.response_code = attempt.code
    delivery.duration_ms = attempt.duration_ms
    delivery.response_body = attempt.body
    delivery.error = (attempt.error or None) and attempt.error[:500]
    if attempt.ok:
        delivery.status, delivery.next_attempt_at = "delivered", None
        session.add(delivery)
        run.delivered += 1
        return
    if delivery.attempt >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = "dead", None
        run.dead += 1
    else:
        delivery.status = "failed"
        delivery.next_attempt_at = now + RETRY_DELAYS[max(delivery.attempt, 1) - 1]
        run.failed += 1
    session.add(delivery)
    session.execute(sa.update(WebhookEndpoint)
                    .where(WebhookEndpoint.id == endpoint.id,
                           WebhookEndpoint.failing_since.is_(None))  # type: ignore
                    .values(failing_since=now).execution_options(synchronize_session=False))
    since = endpoint.failing_since or now
    if delivery.status == "dead" or now - since >= DISABLE_AFTER:
        reason = (f"every attempt of delivery {delivery.event_id} failed over a day"
                  if delivery.status == "dead" else
                  f"failing since {since:%Y-%m-%d %H:%M} UTC without a success")
        if disable_failing(session, endpoint, reason=f"{reason} (last: {delivery.error})"):
            run.disabled.append(endpoint.id or 0)


def disable_failing(session: Session, endpoint: WebhookEndpoint, *, reason: str) -> bool:
    """Disable an endpoint that keeps failing and tell its owner; False if another worker
    (or an admin) disabled it first."""
    reason = reason[:500]
    result = session.execute(
        sa.update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.enabled.is_(True))  # type: ignore
        .values(enabled=False, disabled_reason=reason, version=WebhookEndpoint.version + 1,
                updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    audit.record(session, "disable", "webhook_endpoint", endpoint.id,
                 f"webhook endpoint {endpoint.url} disabled: it keeps failing",
                 details={"reason": reason})
    session.commit()
    session.refresh(endpoint)
    tell_owner(session, endpoint)
    return True


def owners(session: Session, endpoint: WebhookEndpoint) -> list[User]:
    """Who hears about the endpoint: the admin who added it, else every active admin."""
    from ..access import may_administer

    creator = session.get(User, endpoint.created_by_id) if endpoint.created_by_id else None
    if creator is not None and creator.active:
        return [creator]
    return [user for user in session.exec(select(User).where(User.active.is_(True))
                                          .order_by(User.id))  # type: ignore[attr-defined]
            if may_administer(user)]


def tell_owner(session: Session, endpoint: WebhookEndpoint) -> int:
    """A plain mail to the endpoint's owners saying it was disabled and why; how many
    went out (a refused mail is logged, the endpoint stays disabled)."""
    from ..links import public_url

    page = public_url("webhooks.show_endpoint", endpoint_id=endpoint.id)
    sent = 0
    for user in owners(session, endpoint):
        message = mail.Message(
            to=user.email, subject=f"Webhook endpoint disabled: {endpoint.url}",
            body=(f"Hello {user.name},\n\nThe webhook endpoint {endpoint.url} kept failing "
                  f"and has been disabled:\n{endpoint.disabled_reason}\n\n"
                  "No further events are sent to it. Its delivery log shows each attempt; "
                  f"once the receiver works again, enable it there:\n{page}\n"))
        try:
            mail.send(message)
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("could not mail %s about webhook endpoint %s: %s", user.email,
                        endpoint.id, exc)
            continue
        sent += 1
    return sent


def drain(session: Session, *, now: datetime | None = None, limit: int = BATCH,
          on_full_batch: Any = None) -> DrainRun:
    """Claim what is due and send it, one attempt each. When the batch was full,
    `on_full_batch()` is called before sending (the worker enqueues another drain, so
    other worker processes share a burst)."""
    run = DrainRun()
    claimed = claim_due(session, now=now or utcnow(), limit=limit)
    if len(claimed) == limit and on_full_batch is not None:
        on_full_batch()
    return deliver(session, claimed, now=now, run=run)
