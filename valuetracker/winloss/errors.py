"""The one error the win/loss write functions raise when they refuse a change."""

from __future__ import annotations


class WinLossError(ValueError):
    """Why a win/loss change was refused; nothing was written.

    `messages` are shown to the user as they are; `field` names the form field they
    concern (None: the form as a whole).
    """

    def __init__(self, messages: str | list[str], *, field: str | None = None) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        self.field = field
        super().__init__(" ".join(self.messages))
