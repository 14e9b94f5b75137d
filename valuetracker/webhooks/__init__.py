"""Signed webhooks: admins register endpoints (`endpoints.py`), every domain event is
queued for the endpoints that want it in the writer's transaction (`outbox.py`), and the
worker sends, retries and logs each delivery (`delivery.py`, `worker.py`). See
docs/webhooks.md."""

from __future__ import annotations

from . import outbox  # noqa: F401 - registers the events handler
from .endpoints import (
    WebhookError,
    add_endpoint,
    clean_url,
    delete_endpoint,
    find_endpoint,
    list_endpoints,
    new_secret,
    replay,
    rotate_secret,
    set_enabled,
    update_endpoint,
)

__all__ = ["WebhookError", "add_endpoint", "clean_url", "delete_endpoint", "find_endpoint",
           "list_endpoints", "new_secret", "replay", "rotate_secret", "set_enabled",
           "update_endpoint"]
