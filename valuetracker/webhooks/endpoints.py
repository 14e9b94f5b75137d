"""Registering webhook endpoints: every change to one is a function here, recording its
audit event, shared by the admin pages, the CLI and (later) the API. None commits."""

from __future__ import annotations

import base64
import ipaddress
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from sqlmodel import Session, select

from .. import audit, events
from ..db import check_version
from ..models import User, WebhookDelivery, WebhookEndpoint, utcnow

MAX_URL_LENGTH = 2000


class WebhookError(ValueError):
    """A refused endpoint; `field` names the form field at fault."""

    def __init__(self, message: str, field: str = "url") -> None:
        super().__init__(message)
        self.field = field


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def clean_url(url: str, *, allow_private: bool) -> str:
    """The URL stripped, or WebhookError: http(s) with a host, no credentials, and (unless
    `allow_private`) not an address literal on a private network. Names are checked again
    after DNS at every send (`delivery.resolve`)."""
    url = (url or "").strip()
    if not url:
        raise WebhookError("Enter the endpoint's URL.")
    if len(url) > MAX_URL_LENGTH:
        raise WebhookError(f"At most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookError("This is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError("Use an http:// or https:// URL with a host name.")
    if parts.username or parts.password:
        raise WebhookError("Leave credentials out of the URL; check the signature instead.")
    if any(ch.isspace() for ch in url):
        raise WebhookError("A URL has no spaces.")
    del port
    if not allow_private:
        from .delivery import refused_address

        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            literal = None
        if literal is not None and refused_address(literal):
            raise WebhookError("This address is on a private network; webhooks go to "
                               "public addresses only.")
    return url


def clean_events(names: Iterable[str]) -> list[str]:
    """The event names in the order of `events.EVENTS`, or WebhookError."""
    wanted = set(names)
    unknown = sorted(wanted - set(events.EVENTS))
    if unknown:
        raise WebhookError(f"No such event: {', '.join(unknown)}.", field="events")
    if not wanted:
        raise WebhookError("Choose at least one event.", field="events")
    return [name for name in events.EVENTS if name in wanted]


def add_endpoint(session: Session, *, url: str, event_names: Iterable[str],
                 enabled: bool = True, description: str | None = None,
                 user: User | None = None, allow_private: bool = False) -> WebhookEndpoint:
    """Register an endpoint with a new secret (read it from `.secret` to show it once)."""
    endpoint = WebhookEndpoint(url=clean_url(url, allow_private=allow_private),
                               events=clean_events(event_names), secret=new_secret(),
                               enabled=enabled, description=(description or "").strip() or None,
                               created_by_id=user.id if user is not None else None)
    return audit.add_created(session, endpoint, entity="webhook_endpoint",
                             summary=f"webhook endpoint {endpoint.url} added", user=user,
                             details={"events": endpoint.events, "enabled": enabled})


def update_endpoint(session: Session, endpoint: WebhookEndpoint, *, url: str,
                    event_names: Iterable[str], enabled: bool, description: str | None,
                    expected_version: int | str | None, user: User | None = None,
                    allow_private: bool = False) -> bool:
    """Change the URL, events, description or enabled flag (StaleEditError if someone
    saved first). Re-enabling clears the failure record. True if anything changed."""
    values = {"url": clean_url(url, allow_private=allow_private),
              "events": clean_events(event_names), "enabled": enabled,
              "description": (description or "").strip() or None}
    check_version(session, endpoint, expected_version)  # type: ignore[arg-type]
    if enabled and not endpoint.enabled:
        values.update(failing_since=None, disabled_reason=None)
    changed = audit.apply_changes(session, endpoint, values, entity="webhook_endpoint",
                                  summary=f"webhook endpoint {values['url']} updated",
                                  user=user)
    return bool(changed)


def set_enabled(session: Session, endpoint: WebhookEndpoint, enabled: bool, *,
                user: User | None = None, reason: str | None = None) -> bool:
    """Enable or disable; False if it already was. Enabling clears the failure record,
    and its pending deliveries go out again."""
    if endpoint.enabled == enabled:
        return False
    values: dict[str, object] = {"enabled": enabled}
    if enabled:
        values.update(failing_since=None, disabled_reason=None)
    elif reason:
        values["disabled_reason"] = reason[:500]
    endpoint.version += 1
    audit.apply_changes(session, endpoint, values, entity="webhook_endpoint",
                        summary=f"webhook endpoint {endpoint.url} "
                                f"{'enabled' if enabled else 'disabled'}", user=user)
    if enabled:
        from .outbox import wake_after_commit

        wake_after_commit(session)  # what waited while it was disabled goes out now
    return True


def rotate_secret(session: Session, endpoint: WebhookEndpoint, *,
                  user: User | None = None) -> str:
    """A new secret, used from the next attempt on; returns it (show it once)."""
    endpoint.secret = new_secret()
    endpoint.version += 1
    endpoint.updated_at = utcnow()
    session.add(endpoint)
    audit.record(session, "update", "webhook_endpoint", endpoint.id,
                 f"webhook endpoint {endpoint.url}: secret rotated", user=user)
    return endpoint.secret


def delete_endpoint(session: Session, endpoint: WebhookEndpoint, *,
                    user: User | None = None) -> None:
    """Remove the endpoint and its delivery log."""
    for delivery in session.exec(select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint.id)):
        session.delete(delivery)
    session.flush()
    audit.record(session, "delete", "webhook_endpoint", endpoint.id,
                 f"webhook endpoint {endpoint.url} deleted", user=user)
    session.delete(endpoint)


def replay(session: Session, delivery: WebhookDelivery, *,
           user: User | None = None) -> WebhookDelivery:
    """Send a delivery's event again: a new pending delivery of the same body and
    `webhook-id` (receivers that keep ids see it is the same event)."""
    copy = WebhookDelivery(endpoint_id=delivery.endpoint_id, event_id=delivery.event_id,
                           event=delivery.event, body=delivery.body, status="pending",
                           next_attempt_at=utcnow(), replay_of_id=delivery.id)
    session.add(copy)
    session.flush()
    audit.record(session, "replay", "webhook_delivery", delivery.id,
                 f"webhook delivery {delivery.event_id} ({delivery.event}) replayed",
                 user=user, details={"replay_id": copy.id})
    from .outbox import wake_after_commit

    wake_after_commit(session)
    return copy


def find_endpoint(session: Session, ident: str) -> WebhookEndpoint | None:
    """An endpoint by id or exact URL (the CLI's argument)."""
    if ident.isdigit():
        return session.get(WebhookEndpoint, int(ident))
    return session.exec(select(WebhookEndpoint).where(WebhookEndpoint.url == ident)
                        .order_by(WebhookEndpoint.id)).first()


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(session.exec(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all())
