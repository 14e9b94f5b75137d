"""Saved views: a user's lists, filtered and sorted, kept under a name for their menu.

A saved view is a list's endpoint and its query string (only the list's own sort and
filters are kept: never the page or the download format). Names are unique per user;
only the user sees their views (`access.get_saved_view_for_user`). Write functions
record their audit event and never commit.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlmodel import Session, select

from . import audit
from .accounts import ACCOUNT_LIST
from .listing import ListSpec
from .models import SavedView, User
from .signals.health import SIGNAL_LIST
from .stakeholders import STAKEHOLDER_LIST
from .tasks import TASK_LIST
from .value.lists import COMMITMENT_LIST, ENTRY_LIST, PULSE_LIST
from .winloss.deal_list import DEAL_LIST
from .winloss.interviews import INTERVIEW_LIST
from .winloss.quotes import QUOTE_LIST

NAME_MAX = 80
QUERY_MAX = 2000
# The lists a view may be saved of: endpoint -> its spec.
LISTS: dict[str, ListSpec] = {spec.endpoint: spec
                              for spec in (ACCOUNT_LIST, DEAL_LIST, STAKEHOLDER_LIST,
                                           INTERVIEW_LIST, ENTRY_LIST, COMMITMENT_LIST,
                                           QUOTE_LIST, TASK_LIST, SIGNAL_LIST, PULSE_LIST)}


class SavedViewError(ValueError):
    """A view that cannot be saved or renamed (the message says why)."""


def clean_query(spec: ListSpec, query: str) -> str:
    """The query string kept for a view: the list's sort and filters, nothing else."""
    names = {f.name for f in spec.filters} | {"sort"}
    pairs = [(k, v.strip()) for k, v in parse_qsl(query or "", keep_blank_values=False)
             if k in names and v.strip()]
    return urlencode(pairs)


def _clean_name(session: Session, user: User, name: str, *, exclude_id: int | None = None
                ) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX:
        raise SavedViewError(f"Give the view a name of 1 to {NAME_MAX} characters.")
    taken = session.exec(select(SavedView.id).where(
        SavedView.user_id == user.id, SavedView.name == name)).first()
    if taken is not None and taken != exclude_id:
        raise SavedViewError(f"You already have a view named “{name}”.")
    return name


def save_view(session: Session, user: User, *, name: str, endpoint: str, query: str
              ) -> SavedView:
    """A new view of `user`'s; records a "create saved_view" event. Does not commit."""
    spec = LISTS.get(endpoint)
    if spec is None:
        raise SavedViewError("Views can be saved of the accounts, deals, stakeholders, "
                             "interviews, value entries, commitments and tasks lists.")
    query = clean_query(spec, query)
    if len(query) > QUERY_MAX:
        raise SavedViewError("These filters are too long to save as a view.")
    row = SavedView(user_id=user.id, name=_clean_name(session, user, name),
                    endpoint=endpoint, query=query)
    return audit.add_created(session, row, entity="saved_view",
                             summary=f"Saved view “{row.name}” of {spec.title.lower()}",
                             details={"endpoint": endpoint, "query": query}, user=user)


def rename_view(session: Session, view: SavedView, *, name: str, user: User) -> SavedView:
    """Rename one of the user's views; records the change. Does not commit."""
    new_name = _clean_name(session, user, name, exclude_id=view.id)
    audit.apply_changes(session, view, {"name": new_name}, entity="saved_view",
                        summary=f"Saved view renamed to “{new_name}”", user=user)
    return view


def delete_view(session: Session, view: SavedView, *, user: User) -> None:
    """Delete one of the user's views; records a "delete saved_view" event."""
    audit.record(session, "delete", "saved_view", view.id, f"Saved view “{view.name}” deleted",
                 details={"endpoint": view.endpoint, "query": view.query}, user=user)
    session.delete(view)


def user_views(session: Session, user: User) -> list[SavedView]:
    """The user's views by name (for the menu and the views page)."""
    return list(session.exec(select(SavedView).where(SavedView.user_id == user.id)
                             .order_by(SavedView.name, SavedView.id)).all())
