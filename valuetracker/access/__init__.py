"""The one place that decides who may see and change which rows, and the one module
that knows the roles.

Three layers, each used by the next, one module each:

- **Predicates** (`roles.py`) named for what they allow (`may_edit_account`, `runs_winloss_program`,
  `may_export`, …). No module but `roles.py` names a role: views, domain functions, the CLI and
  templates (through `Permissions`, the `can` template global) ask a predicate.
- **Visibility rules** (`scopes.py`), one SQL condition per kind of object (`account_scope`,
  `deal_scope`), used by the lists and by the single-object lookups alike.
- **Lookups** (`lookups.py`: `get_*_for_user`, and `*_access` which also say whether the user may
  change the row). Rows outside a user's scope answer 404 whether they exist or not, so
  their existence is not revealed; a row the user may see but not change answers 403.
"""

from __future__ import annotations

from .lookups import (
    account_access,
    deal_access,
    editable_task_ids,
    get_account_for_summaries,
    get_account_for_user,
    get_account_link,
    get_account_stakeholder,
    get_account_summary,
    get_activity_for_user,
    get_commitment_for_user,
    get_deal_for_user,
    get_deal_link,
    get_entry_for_user,
    get_export_job_for_user,
    get_interview_for_user,
    get_job_for_user,
    get_notification_for_user,
    get_saved_view_for_user,
    get_signal_for_user,
    get_stakeholder_for_user,
    get_task_for_user,
    interview_access,
    stakeholder_access,
    summaries_access,
    task_access,
)

# Callers import from `valuetracker.access`; the split into modules is this package's own.
from .roles import (
    Permissions,
    account_editor_condition,
    account_editor_of,
    edits_every_account,
    may_administer,
    may_edit_account,
    may_edit_accounts,
    may_edit_deals,
    may_export,
    may_import,
    may_manage_team,
    may_send_account_summaries,
    may_send_summaries,
    permission_required,
    reads_winloss_program,
    require,
    role_may_administer,
    runs_winloss_program,
    sees_all_accounts,
    sees_all_jobs,
    sees_everyones_work,
)
from .scopes import (
    account_scope,
    deal_scope,
    on_team_of,
    scope_key,
    scoped_account_ids,
    task_scope,
)

__all__ = [
    "sees_all_accounts",
    "may_edit_accounts",
    "edits_every_account",
    "may_edit_account",
    "may_manage_team",
    "runs_winloss_program",
    "reads_winloss_program",
    "may_edit_deals",
    "may_send_summaries",
    "may_send_account_summaries",
    "may_export",
    "may_import",
    "sees_all_jobs",
    "sees_everyones_work",
    "role_may_administer",
    "may_administer",
    "account_editor_condition",
    "Permissions",
    "require",
    "permission_required",
    "account_scope",
    "on_team_of",
    "account_editor_of",
    "task_scope",
    "scope_key",
    "scoped_account_ids",
    "deal_scope",
    "account_access",
    "get_account_for_user",
    "stakeholder_access",
    "get_stakeholder_for_user",
    "get_account_stakeholder",
    "get_account_link",
    "get_account_summary",
    "get_saved_view_for_user",
    "get_entry_for_user",
    "get_commitment_for_user",
    "get_activity_for_user",
    "task_access",
    "get_task_for_user",
    "get_signal_for_user",
    "editable_task_ids",
    "deal_access",
    "get_deal_for_user",
    "get_deal_link",
    "interview_access",
    "get_interview_for_user",
    "summaries_access",
    "get_account_for_summaries",
    "get_job_for_user",
    "get_export_job_for_user",
    "get_notification_for_user",
]
