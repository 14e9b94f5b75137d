"""The WSGI entry point for servers: `gunicorn 'valuetracker.wsgi:app'`.

Settings come from the environment (and `instance/config.py`), as for the CLI.
"""

from __future__ import annotations

import sys

from . import ConfigError, create_app

try:
    app = create_app()
except ConfigError as exc:
    # One line, then exit code 3: gunicorn's "worker failed to boot", on which its master
    # stops instead of starting workers that would fail the same way forever.
    print(f"valuetracker: {exc}", file=sys.stderr, flush=True)
    raise SystemExit(3) from None
