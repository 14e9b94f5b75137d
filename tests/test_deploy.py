"""Running for real: production by default, the instance folder as a setting, the files a
wheel carries, and `make run` on another port with links that follow it.

The whole production install (wheel, gunicorn, worker, PostgreSQL, Redis, SMTP) is
`.ci/deploy-check`; these tests pin each rule it relies on.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from valuetracker import ConfigError, create_app
from valuetracker.config import TEMPLATES_DIR, instance_path

from .conftest import browser_login, free_port

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
GOOD_KEY = "k" * 40


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a new shell: no VALUETRACKER_* setting but the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VALUETRACKER_")}
    env.update(extra)
    return env


# -- production by default -----------------------------------------------------------------


@pytest.mark.parametrize("key, message", [
    (None, "VALUETRACKER_SECRET_KEY is not set"),
    ("short-key", "VALUETRACKER_SECRET_KEY is too short (9 characters)"),
])
def test_production_is_the_default_and_needs_a_long_secret_key(
        app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch, key: str | None,
        message: str) -> None:
    monkeypatch.delenv("VALUETRACKER_ENV", raising=False)
    monkeypatch.delenv("VALUETRACKER_SECRET_KEY", raising=False)
    config = {k: v for k, v in app_config.items() if k != "ENV"}
    config["SECRET_KEY"] = key
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        create_app(config)
    assert "\n" not in str(raised.value)
    assert not (Path(config["INSTANCE_PATH"]) / "secret_key").exists()

    app = create_app(dict(config, SECRET_KEY=GOOD_KEY))
    assert app.config["ENV"] == "production"
    app.extensions["valuetracker.engine"].dispose()


def test_development_keeps_a_generated_key_in_the_instance_folder(
        app_config: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "fresh" / "instance"
    config = dict(app_config, ENV="development", SECRET_KEY=None, INSTANCE_PATH=str(folder))
    first = create_app(config)
    second = create_app(config)
    assert len(first.config["SECRET_KEY"]) == 64
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert (folder / "secret_key").stat().st_mode & 0o077 == 0
    for app in (first, second):
        app.extensions["valuetracker.engine"].dispose()


def test_an_unknown_environment_name_is_refused(app_config: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="VALUETRACKER_ENV='prod' is not known"):
        create_app(dict(app_config, ENV="prod"))


@pytest.mark.parametrize("command", [
    ["valuetracker", "init-db"],
    ["valuetracker", "worker", "--workers", "1"],
    ["valuetracker", "summaries", "generate", "--quarter", "2026-Q3"],
    ["python", "-c", "import valuetracker.wsgi"],
])
def test_every_entry_point_stops_with_one_line_without_a_secret_key(
        tmp_path: Path, command: list[str]) -> None:
    """The CLI, the worker and the WSGI module a server loads all stop the same way."""
    result = subprocess.run([str(VENV_BIN / command[0]), *command[1:]], cwd=tmp_path,
                            env=_clean_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        "valuetracker: VALUETRACKER_SECRET_KEY is not set: set it to a random value of at "
        "least 32 characters, the same on every node (python3 -c 'import secrets; "
        "print(secrets.token_hex(32))'), or set VALUETRACKER_ENV=development on a laptop."
    ]
    assert not (tmp_path / "instance").exists()  # nothing written before the refusal
    if command[0] == "python":
        assert result.returncode == 3  # gunicorn's "worker failed to boot": its master stops


def test_a_malformed_number_setting_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run([str(VENV_BIN / "valuetracker"), "init-db"], cwd=tmp_path,
                            env=_clean_env(VALUETRACKER_SECRET_KEY=GOOD_KEY,
                                           VALUETRACKER_MAIL_PORT="twenty-five"),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip() == ("valuetracker: VALUETRACKER_MAIL_PORT='twenty-five' is "
                                     "not valid: it must be a whole number.")


# -- the instance folder --------------------------------------------------------------------


def test_instance_folder_defaults_to_the_working_directory(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.chdir(tmp_path)
    assert instance_path(environ={}) == tmp_path / "instance"
    assert instance_path(environ={"VALUETRACKER_INSTANCE_PATH": "/srv/vt"}) == Path("/srv/vt")


def test_fresh_instance_folder_is_created_on_first_use(
        app: Any, database_url: str, tmp_path: Path) -> None:
    """From an empty folder, with the database elsewhere: the job queue's file, the outbox
    and the folder itself appear when first needed (the batch runs, no stack trace)."""
    site = tmp_path / "empty"
    site.mkdir()
    folder = tmp_path / "not" / "yet" / "there"
    env = _clean_env(VALUETRACKER_SECRET_KEY=GOOD_KEY, VALUETRACKER_DATABASE_URL=database_url,
                     VALUETRACKER_INSTANCE_PATH=str(folder),
                     VALUETRACKER_REPORTS_DIR=str(tmp_path / "reports"))
    result = subprocess.run([str(VENV_BIN / "valuetracker"), "summaries", "generate",
                             "--quarter", "2026-Q3"], cwd=site, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (folder / "jobs.sqlite").is_file()
    assert list(site.iterdir()) == []  # nothing lands in the working directory

    # With no database setting, the SQLite database lives in the instance folder too.
    env.pop("VALUETRACKER_DATABASE_URL")
    subprocess.run([str(VENV_BIN / "valuetracker"), "init-db"], cwd=site, env=env,
                   check=True, capture_output=True, timeout=300)
    assert (folder / "valuetracker.sqlite").is_file()
    done = subprocess.run([str(VENV_BIN / "valuetracker"), "db", "current"], cwd=site, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Up to date." in done.stdout


# -- what the wheel carries ----------------------------------------------------------------


def test_the_wheel_carries_templates_static_files_and_migrations(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(tmp_path), str(REPO)], check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("valuetracker-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"valuetracker/templates/{p.relative_to(TEMPLATES_DIR).as_posix()}"
               for p in TEMPLATES_DIR.rglob("*") if p.is_file() and p.suffix != ".pyc"}
    package = REPO / "valuetracker"
    for folder in ("static", "migrations"):
        shipped |= {f"valuetracker/{p.relative_to(package).as_posix()}"
                    for p in (package / folder).rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts}
    assert "valuetracker/templates/reports/summary.html" in shipped
    assert "valuetracker/static/fonts/inter-latin-400-normal.woff2" in shipped
    assert shipped - names == set()
    assert not [n for n in names if n.startswith(("templates/", "instance/"))]


# -- make run --------------------------------------------------------------------------------


def test_make_run_on_another_port_prints_and_mails_links_to_it(tmp_path: Path, page: Any
                                                               ) -> None:
    """`make run PORT=…` serves there, seed-demo prints that address, and a link e-mailed
    from the running app starts with it and opens the stakeholder's page."""
    port = free_port()
    folder = tmp_path / "instance"
    env = _clean_env(VALUETRACKER_INSTANCE_PATH=str(folder),
                     VALUETRACKER_REPORTS_DIR=str(tmp_path / "reports"))
    env.pop("MAKEFLAGS", None)
    proc = subprocess.Popen(["make", "--no-print-directory", "run", f"PORT={port}"], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Sign in at" in line:
                break
        assert f"Sign in at {base} with any of these" in "".join(lines), "".join(lines)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/login", timeout=5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)

        engine = sa.create_engine(f"sqlite:///{folder / 'valuetracker.sqlite'}")
        with engine.connect() as conn:
            slug, person, address = conn.execute(sa.text(
                "SELECT a.slug, s.id, s.email FROM account a JOIN user u ON u.id = a.owner_id "
                "JOIN stakeholder s ON s.account_id = a.id WHERE u.email = :email "
                "AND s.email IS NOT NULL AND s.opted_out_at IS NULL "
                "AND s.left_company_at IS NULL ORDER BY a.id, s.id LIMIT 1"),
                {"email": "maria@demo.example"}).one()
        engine.dispose()

        browser_login(page, base, "maria@demo.example", "demo-password-2026")
        page.goto(f"{base}/accounts/{slug}/value/links/new?purpose=pulse")
        page.get_by_label("Stakeholder").select_option(str(person))
        page.get_by_role("button", name="Send link").click()
        page.get_by_text("Link emailed to").wait_for()

        # The worker may also have sent the day's digests (past the digest hour): the
        # stakeholder's mail is the one addressed to them.
        messages = [email.message_from_bytes(mail.read_bytes(), policy=email.policy.default)
                    for mail in (folder / "outbox").glob("*.eml")]
        (message,) = [m for m in messages if str(m["To"]).endswith(f"<{address}>")
                      or str(m["To"]) == address]
        text = message.get_body(preferencelist=("plain",)).get_content()
        links = re.findall(r"https?://\S+", text)  # the pulse link, then the unsubscribe link
        links.append(str(message["List-Unsubscribe"]).strip("<>"))
        assert len(links) == 3 and all(link.startswith(f"{base}/") for link in links), links
        customer = page.context.browser.new_context().new_page()  # not signed in
        customer.goto(links[0])
        assert customer.locator("form").count() == 1  # the pulse form, reached at that address
        assert customer.locator("form input[name=recommend]").count() == 11
        customer.context.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
