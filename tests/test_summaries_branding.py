"""Admin branding of the PDF summaries and the editable message template."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlmodel import Session

from valuetracker.quarters import parse_quarter
from valuetracker.summaries.branding import get_branding
from valuetracker.summaries.generate import build_pdf
from valuetracker.summaries.render import asset_fetcher
from valuetracker.summaries.send import default_message_template, message_template


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\x1d\x4e\xd8" * 2 + b"\x00" + b"\x1d\x4e\xd8" * 2)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


@pytest.fixture(autouse=True)
def _branding_dir(app_config: dict[str, Any], tmp_path: Path) -> None:
    app_config["BRANDING_DIR"] = str(tmp_path / "branding")


def _post(client: Any, **data: Any) -> Any:
    form = {"company_name": "Northwind Services", "primary_color": "#AA3300",
            "email_template": ""}
    form.update(data)
    return client.post("/admin/branding", data=form, content_type="multipart/form-data")


def test_only_admins(app: Flask, cast: object, login_as: Any) -> None:
    c = cast  # type: ignore[assignment]
    for user in (c.am1, c.analyst, c.leader):
        assert login_as(user).get("/admin/branding").status_code == 403
        assert _post(login_as(user)).status_code == 403
    assert login_as(c.admin).get("/admin/branding").status_code == 200


def test_save_branding_with_logo_and_render(app: Flask, session: Session, cast: object,
                                            login_as: Any) -> None:
    c = cast  # type: ignore[assignment]
    client = login_as(c.admin)
    response = _post(client, logo=(io.BytesIO(tiny_png()), "logo.png"),
                     email_template="Hi $first_name, here is $quarter.")
    assert response.status_code == 302
    session.expire_all()
    branding = get_branding(session)
    assert (branding.company_name, branding.primary_color, branding.logo_filename) == (
        "Northwind Services", "#aa3300", "logo.png")
    assert (Path(app.config["BRANDING_DIR"]) / "logo.png").read_bytes() == tiny_png()
    assert message_template(session) == "Hi $first_name, here is $quarter."

    fetcher = asset_fetcher(branding_dir=Path(app.config["BRANDING_DIR"]))
    with app.app_context():
        pdf = build_pdf(session, c.account1, c.stakeholder1, parse_quarter("2026-Q3"),
                        fetcher=fetcher)
    assert "vt-asset:branding/logo.png" in fetcher.served and fetcher.refused == []
    reader = PdfReader(io.BytesIO(pdf))
    assert "Northwind Services" in reader.pages[0].extract_text()
    assert len(reader.pages[0].images) == 1

    # Removing the logo and restoring the default message.
    _post(client, remove_logo="y", email_template=default_message_template())
    session.expire_all()
    assert get_branding(session).logo_filename is None
    assert message_template(session) == default_message_template()


@pytest.mark.parametrize("upload", [
    (b"GIF89a....", "logo.gif"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><image href='file:///etc/passwd'/></svg>",
     "logo.png"),
    (b"\x89PNG\r\n\x1a\n" + b"0" * (300 * 1024), "big.png"),
])
def test_bad_logo_rejected(app: Flask, session: Session, cast: object, login_as: Any,
                           upload: tuple[bytes, str]) -> None:
    client = login_as(cast.admin)  # type: ignore[attr-defined]
    response = _post(client, logo=(io.BytesIO(upload[0]), upload[1]))
    assert response.status_code == 200
    assert "The logo must be" in response.get_data(as_text=True)
    assert get_branding(session).logo_filename is None


def test_bad_colour_rerenders_with_error(app: Flask, session: Session, cast: object,
                                         login_as: Any) -> None:
    client = login_as(cast.admin)  # type: ignore[attr-defined]
    response = _post(client, primary_color="red; background: url(http://127.0.0.1/x)")
    assert response.status_code == 200
    assert "Use a hex colour like #1d4ed8." in response.get_data(as_text=True)
    assert get_branding(session).primary_color == "#1d4ed8"
