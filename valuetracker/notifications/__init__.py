"""Notifications to our own users: in the app, by immediate e-mail, and in a digest.

- `rules`: what each event tells whom, the channel defaults and the texts.
- `handler`: the `@events.handler` that turns each event into notifications
  (listed in `events.CONSUMERS`).
- `inbox`: a user's notifications (list, unread count) and marking them read.
- `preferences`: a user's choices (event × channel, digest frequency).
- `mailing`: the immediate e-mails, sent by the worker after the commit.
- `digest`: the daily or weekly digest (content, periods, sending once per period).
- `tasks`: the worker's periodic tasks (`jobs.TASK_MODULES`).
"""

from __future__ import annotations
