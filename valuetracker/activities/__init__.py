"""The activity timeline: notes, calls, meetings and e-mails logged by the team, merged
with what the system recorded about an account and its people.

- `log`: the write functions (`log_activity`, `update_activity`, `delete_activity`) and
  the people an activity was with (`participants`).
- `timeline`: the registry of event sources and the merged, filtered, paged timeline
  (`timeline_page`, `recent_events`); a new kind of event is one `@source` function.
- `contact`: the one rule for a stakeholder's "last contacted" (`refresh_last_contacted`).
- `forms`: the "Log activity" form.
"""

from __future__ import annotations

from .contact import latest_contacts, refresh_last_contacted
from .log import (
    ACTIVITY_FIELDS,
    ActivityError,
    delete_activity,
    log_activity,
    participant_ids,
    participants,
    update_activity,
)
from .timeline import Event, Scope, kind_labels, recent_events, source, timeline_page

__all__ = [
    "ACTIVITY_FIELDS",
    "ActivityError",
    "Event",
    "Scope",
    "delete_activity",
    "kind_labels",
    "latest_contacts",
    "log_activity",
    "participant_ids",
    "participants",
    "recent_events",
    "refresh_last_contacted",
    "source",
    "timeline_page",
    "update_activity",
]
