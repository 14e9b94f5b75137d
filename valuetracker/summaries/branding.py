"""Branding (company name, logo, primary colour) of the PDF summaries and of the pages
stakeholders answer on (`templates/public/_layout.html`), kept in `Setting`.

The colour is validated as `#rrggbb` when saved AND again when read, so nothing but a
hex colour can ever reach the print CSS or the pages' stylesheet (`/l/brand.css`). The
logo is a PNG or JPEG checked by its magic bytes and size, stored under
`instance/branding/` with a name we choose, and served to the pages by the app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ..db import StaleEditError
from ..models import Setting, utcnow

KEY = "branding"
DEFAULT_COLOR = "#1d4ed8"
DEFAULT_COMPANY = "valuetracker"
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_LOGO_BYTES = 256 * 1024
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}
# `save_branding` without a version check (the demo data, set up in one go).
UNCHECKED: Any = object()


class BrandingError(ValueError):
    """An uploaded logo we will not store."""


@dataclass
class Branding:
    company_name: str = DEFAULT_COMPANY
    primary_color: str = DEFAULT_COLOR
    logo_filename: str | None = None

    @property
    def logo_url(self) -> str | None:
        """The logo as the renderer's internal asset URL (see render.py)."""
        return f"vt-asset:branding/{self.logo_filename}" if self.logo_filename else None

    @property
    def on_primary_color(self) -> str:
        """Text drawn on the primary colour (a button): white or near-black, whichever
        reads better, since the colour is the admin's choice and may be light."""
        dark = "#111827"
        return "#ffffff" if contrast(self.primary_color, "#ffffff") >= contrast(
            self.primary_color, dark) else dark

    @property
    def ink_color(self) -> str:
        """The primary colour as text on white (outlined buttons, links): the colour
        itself, darkened until it reaches the WCAG AA contrast of 4.5:1."""
        color = self.primary_color
        while contrast(color, "#ffffff") < 4.5:
            color = darken(color, 0.1)
        return color

    @property
    def primary_dark(self) -> str:
        """The primary colour a little darker (a pressed or hovered button)."""
        return darken(self.primary_color, 0.15)

    @property
    def primary_rgb(self) -> str:
        """The primary colour as `r, g, b` (for CSS rgba() focus rings)."""
        return ", ".join(str(c) for c in _rgb(self.primary_color))


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def darken(color: str, amount: float) -> str:
    """`#rrggbb` moved `amount` (0–1) of the way towards black."""
    return "#" + "".join(f"{round(c * (1 - amount)):02x}" for c in _rgb(color))


def contrast(first: str, second: str) -> float:
    """The WCAG 2 contrast ratio of two `#rrggbb` colours (1 to 21)."""
    def luminance(color: str) -> float:
        channels = [c / 255 for c in _rgb(color)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                   for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def branding_dir() -> Path:
    """Where the logo lives: BRANDING_DIR if configured, else `instance/branding/`."""
    configured = current_app.config.get("BRANDING_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "branding"


def logo_path(branding: Branding) -> Path | None:
    """The stored logo file, when one is set and present."""
    if not branding.logo_filename:
        return None
    path = branding_dir() / branding.logo_filename
    return path if path.is_file() else None


def get_branding(session: Session) -> Branding:
    """The stored branding, with safe defaults for anything missing or malformed."""
    row = session.get(Setting, KEY)
    value = row.value if row is not None and isinstance(row.value, dict) else {}
    color = value.get("primary_color")
    logo = value.get("logo_filename")
    return Branding(
        company_name=str(value.get("company_name") or DEFAULT_COMPANY)[:200],
        primary_color=color if isinstance(color, str) and HEX_COLOR.match(color)
        else DEFAULT_COLOR,
        logo_filename=logo if isinstance(logo, str) and re.fullmatch(r"logo\.(png|jpg)", logo)
        else None,
    )


def branding_version(session: Session) -> int:
    """The stored branding's version for the edit form (0: never saved)."""
    row = session.get(Setting, KEY)
    return row.version if row is not None else 0


def save_branding(session: Session, branding: Branding, *,
                  expected_version: Any = UNCHECKED) -> None:
    """Store branding (validated colour) under optimistic locking; the caller commits.

    Raises `db.StaleEditError` (nothing changed) when someone saved the branding since
    the form was loaded at `expected_version` (`branding_version`; 0 = never saved).
    """
    if not HEX_COLOR.match(branding.primary_color):
        raise BrandingError("The colour must be a hex colour like #1d4ed8.")
    value = {"company_name": branding.company_name.strip()[:200] or DEFAULT_COMPANY,
             "primary_color": branding.primary_color.lower(),
             "logo_filename": branding.logo_filename}
    checked = expected_version is not UNCHECKED
    try:
        expected = int(expected_version) if checked else None
    except (TypeError, ValueError):
        raise StaleEditError from None  # a missing or tampered hidden field
    row = session.get(Setting, KEY)
    if row is None:
        if checked and expected != 0:
            raise StaleEditError
        session.add(Setting(key=KEY, value=value))
        try:  # two first saves at once: the row's key makes the second one stale
            session.flush()
        except IntegrityError:
            raise StaleEditError from None
        return
    if checked:
        # The conditional UPDATE makes the check atomic (as `db.check_version`; the
        # setting's key is its primary key, not an id).
        if expected != row.version:
            raise StaleEditError
        claimed = session.execute(
            sa.update(Setting).where(Setting.key == KEY, Setting.version == expected)
            .values(version=expected + 1).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            raise StaleEditError
        row.version = expected + 1
    else:
        row.version += 1
    row.value = value
    row.updated_at = utcnow()
    session.add(row)


def store_logo(content: bytes) -> str:
    """Validate and write an uploaded logo; returns its file name under instance/branding/."""
    if len(content) > MAX_LOGO_BYTES:
        raise BrandingError(f"The logo must be at most {MAX_LOGO_BYTES // 1024} KB.")
    kind = next((ext for magic, ext in LOGO_TYPES.items() if content.startswith(magic)), None)
    if kind is None:
        raise BrandingError("The logo must be a PNG or JPEG image.")
    folder = branding_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"logo.{kind}"
    temp = folder / f".{name}.tmp"
    temp.write_bytes(content)
    temp.replace(folder / name)
    return name
