"""Imports of CRM exports (CSV): accounts, stakeholders, deals and value entries.

`run_import` is the one code path for the CLI (`valuetracker import KIND FILE`) and the
web wizard. `reading` parses files and cells, one module per kind holds its field spec
and upsert, `runner` ties them together. Format: docs/import-format.md.
"""

from __future__ import annotations

from .reading import Field, ImportStop, RowError, parse_map_options, parse_value_maps
from .runner import (
    KIND_TABLES,
    KINDS,
    ImportReport,
    kind_module,
    run_import,
    write_rejected,
)

__all__ = [
    "Field",
    "ImportStop",
    "RowError",
    "KINDS",
    "KIND_TABLES",
    "ImportReport",
    "kind_module",
    "parse_map_options",
    "parse_value_maps",
    "run_import",
    "write_rejected",
]
