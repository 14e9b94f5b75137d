"""The curl walkthrough of docs/api.md, run as written against a live server."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from valuetracker import api_tokens

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def _walkthrough() -> list[str]:
    block = DOC.read_text(encoding="utf-8").split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith("curl ")]


def _run(command: str, env: dict[str, str]) -> str:
    done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True,
                          timeout=30, check=True)
    return done.stdout


def test_the_documented_walkthrough_works(live_server: str, cast: Any, session: Any) -> None:
    _row, token = api_tokens.create_token(session, cast.am1, name="laptop", scope="write")
    session.commit()
    env = {**os.environ, "API": f"{live_server}/api/v1", "TOKEN": token}
    listed, create, read, update = _walkthrough()
    accounts = json.loads(_run(listed, env))
    assert [a["slug"] for a in accounts["items"]] == ["acme-corp"]
    answer = _run(create, env)
    assert answer.startswith("HTTP/1.1 201")
    location = re.search(r"^Location: (\S+)", answer, re.M | re.I).group(1)
    env["ID"] = location.rsplit("/", 1)[1]
    assert re.search(r'^ETag: "1"', _run(read, env), re.M | re.I)
    entry = json.loads(_run(update, env))
    assert entry["evidence_status"] == "confirmed" and entry["version"] == 2
    stale = json.loads(_run(update, env))  # the same If-Match again: now stale
    assert stale["status"] == 412
