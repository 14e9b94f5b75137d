"""Tasks and plays: what an account team has to do, made by a person or by a play
from a signal.

- `writes`: the write functions (`create_task`, `update_task`, `complete_task`,
  `dismiss_task`, `reopen_task`, `add_comment`, and the bulk actions `bulk_reassign`,
  `bulk_complete`, `bulk_set_due`); `TaskError` names the refused field.
- `queries`: the task list, comments, who a task may be given to, and My work.
- `plays`: the registry of plays (a kind of signal -> a task with defaults) and
  `run_plays`, which the signal refresh calls with the signals it opened and closed.
- `forms`: the web forms.
"""

from __future__ import annotations

from .plays import PLAYS, Play, PlayRun, run_plays
from .queries import (
    LIST_STATUSES,
    OVERDUE_CHOICES,
    STATUS_ALL,
    TASK_LIST,
    MyWork,
    TaskFilters,
    TaskRow,
    all_tasks,
    assignee_options,
    comments,
    list_tasks,
    my_work,
    task_names,
    team_options,
)
from .writes import (
    TaskError,
    add_comment,
    bulk_complete,
    bulk_reassign,
    bulk_set_due,
    complete_task,
    create_task,
    dismiss_task,
    reopen_task,
    update_task,
)

__all__ = [
    "LIST_STATUSES", "OVERDUE_CHOICES", "PLAYS", "STATUS_ALL", "MyWork", "Play", "PlayRun",
    "TaskError",
    "TASK_LIST", "TaskFilters", "TaskRow", "add_comment", "all_tasks", "assignee_options",
    "bulk_complete", "bulk_reassign", "bulk_set_due", "comments", "complete_task",
    "create_task", "dismiss_task", "list_tasks", "my_work", "reopen_task", "run_plays",
    "task_names", "team_options", "update_task",
]
