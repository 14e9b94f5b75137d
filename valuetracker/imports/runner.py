"""The shared import runner: read → map columns → parse cells → plan → write → audit.

The CLI and the web wizard both call `run_import`; the caller commits (or rolls back),
so an import is one transaction: all or nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlmodel import Session

from .. import audit
from ..models import User, utcnow
from ..validation import has_line_break
from ..winloss.deals import apply_program_rules_to_deals
from . import accounts, deals, presets, stakeholders, value
from .common import Context, Plan, Row, editable_account_ids
from .reading import (
    FALSE_WORDS,
    TRUE_WORDS,
    Columns,
    Field,
    ImportStop,
    RowError,
    Table,
    date_parser,
    norm_word,
    parse_amount,
    parse_bool,
    parse_choice,
    parse_list,
    read_table,
    resolve_columns,
)

KINDS: dict[str, ModuleType] = {
    "accounts": accounts,
    "stakeholders": stakeholders,
    "deals": deals,
    "value": value,
}
# The tables an import of each kind writes to (each kind module says).
KIND_TABLES: dict[str, tuple[str, ...]] = {kind: module.TABLES for kind, module in KINDS.items()}
# Who may import what in the web app: `access.may_import` (the CLI is a system user,
# unscoped).


@dataclass
class ImportReport:
    """What an import did (or, for a dry run or a refused import, would do)."""

    kind: str
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False
    rejected_rows: list[tuple[int, list[str], str]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    interviews_requested: int = 0  # deals: requests made by the win/loss program rules
    preset: str | None = None  # the preset applied, and what it mapped (column, field)
    preset_columns: list[tuple[str, str]] = field(default_factory=list)
    mapped: list[tuple[str, str]] = field(default_factory=list)  # (file column, field) read

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {"rows": self.total, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "rejected": self.rejected}

    def summary(self) -> str:
        c = self.counts()
        text = (f"{c['rows']} rows: {c['created']} created, {c['updated']} updated, "
                f"{c['unchanged']} unchanged, {c['rejected']} rejected")
        if self.interviews_requested:
            text += f"; {self.interviews_requested} buyer interviews requested"
        return text

    def rejected_csv(self) -> str:
        """The rejected rows as CSV, with the file's header plus a `reason` column."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([*self.headers, "reason"])
        for _number, cells, reason in self.rejected_rows:
            writer.writerow([*cells, reason])
        return out.getvalue()


def kind_module(kind: str) -> ModuleType:
    if kind not in KINDS:
        raise ImportStop(f'Unknown import kind "{kind}" (kinds: {", ".join(KINDS)}).')
    return KINDS[kind]


def run_import(
    session: Session,
    kind: str,
    data: bytes,
    *,
    mapping: Mapping[str, str] | None = None,
    date_format: str | None = None,
    value_maps: Mapping[str, Mapping[str, str]] | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    actor: User | None = None,
    source: str = "",
    preset: str | None = None,
) -> ImportReport:
    """Import `data` (CSV bytes) as `kind`; the caller commits, or rolls back.

    Raises ImportStop for problems with the file as a whole. Row problems are listed in
    the report; then nothing is written unless `skip_invalid`. `actor` None is the CLI's
    system user (no scoping); a web user only changes accounts they may edit. `preset`
    (`presets.PRESETS`) reads a CRM's standard export; `mapping`, `value_maps` and
    `date_format` still override it.
    """
    module = kind_module(kind)
    table = read_table(data)
    applied: list[tuple[str, str]] = []
    if preset:
        kind_preset = presets.get_preset(preset, kind)
        table = presets.prepare_table(table, kind_preset)
        mapping = presets.preset_mapping(kind_preset, table.headers,
                                         {f.name for f in module.FIELDS}, mapping)
        applied = presets.describe(kind_preset, table.headers, mapping)
        value_maps = presets.merged_value_maps(kind_preset, value_maps)
        date_format = date_format or kind_preset.date_format
    columns = resolve_columns(table.headers, module.FIELDS, mapping)
    value_maps = _check_value_maps(module.FIELDS, columns, value_maps or {})
    rows, errors = parse_rows(table, columns, module.FIELDS, date_format, value_maps)
    ctx = Context(
        actor=actor,
        editable_account_ids=None if actor is None else editable_account_ids(session, actor),
        headers=table.headers,
        columns=columns,
        now=utcnow(),
    )
    plan: Plan = module.plan(session, rows, ctx)
    errors.extend(plan.errors)
    errors.sort(key=lambda e: e.row)
    report = ImportReport(
        kind=kind,
        total=len(table.rows),
        errors=errors,
        unknown_columns=columns.unknown,
        ignored_columns=columns.ignored,
        dry_run=dry_run,
        headers=table.headers,
        preset=presets.find_preset(preset).name if preset else None,
        preset_columns=applied,
        mapped=[(table.headers[i], name) for name, i in
                sorted(columns.index.items(), key=lambda item: item[1])],
    )
    reasons: dict[int, list[str]] = {}
    for error in errors:
        reasons.setdefault(error.row, []).append(
            f"{error.column}: {error.reason}" if error.column else error.reason)
    report.rejected = len(reasons)
    report.rejected_rows = [(number, cells, "; ".join(reasons[number]))
                            for number, cells in table.rows if number in reasons]
    for item in plan.items:
        counter = {"create": "created", "update": "updated"}.get(item.action, item.action)
        setattr(report, counter, getattr(report, counter) + 1)
    if errors and not skip_invalid:
        return report
    if not dry_run:
        module.apply(session, plan, ctx)
        if module is deals:
            # Imported closed deals get interview requests like deals closed on the web.
            requested = apply_program_rules_to_deals(session, deals.closed_deal_ids(plan))
            report.interviews_requested = len(requested)
            if requested:
                audit.record(
                    session, "create", "interview", None,
                    f"{len(requested)} interviews requested by program rules (import)",
                    details={"ids": requested[:1000]},
                    user_id=actor.id if actor is not None else None,
                )
        audit.record(
            session, "import", module.ENTITY, None,
            f"import {kind}{' from ' + source if source else ''}: {report.summary()}",
            details={"kind": kind, "source": source, "preset": report.preset,
                     **report.counts(),
                     "interviews_requested": report.interviews_requested},
            user_id=actor.id if actor is not None else None,
        )
        session.flush()
        report.written = True
    return report


def _check_value_maps(fields: Sequence[Field], columns: Columns,
                      value_maps: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    by_name = {f.name: f for f in fields}
    problems = []
    for fname, words in value_maps.items():
        f = by_name.get(fname)
        if f is None or f.kind != "choice":
            choice_fields = ", ".join(x.name for x in fields if x.kind == "choice")
            problems.append(f'--value-map field "{fname}" is not a choice field '
                            f"(choice fields: {choice_fields}).")
            continue
        for word, target in words.items():
            if target not in f.choices:
                problems.append(f'--value-map {fname}:{word}={target}: "{target}" is not one '
                                f'of {", ".join(f.choices)}.')
    if problems:
        raise ImportStop(problems)
    return {k: dict(v) for k, v in value_maps.items()}


def parse_rows(
    table: Table,
    columns: Columns,
    fields: Sequence[Field],
    date_format: str | None,
    value_maps: Mapping[str, Mapping[str, str]],
) -> tuple[list[Row], list[RowError]]:
    """Convert every cell of the mapped columns; rows with bad cells become errors.

    Date columns get one parser each, chosen from all their values (ImportStop when a
    column is ambiguous); unknown words in a stop-on-unknown field stop the import.
    """
    present = [f for f in fields if f.name in columns.index]
    parsers: dict[str, Any] = {}
    stops: list[str] = []
    needs_format = False
    for f in present:
        if f.kind not in ("date", "flagdate"):
            continue
        i = columns.index[f.name]
        values = [cells[i] for _, cells in table.rows
                  if cells[i] and cells[i].casefold() not in TRUE_WORDS | FALSE_WORDS]
        try:
            parsers[f.name] = date_parser(table.headers[i], values, date_format)
        except ImportStop as exc:
            stops.extend(exc.problems)
            needs_format = True

    unknown_words: dict[str, dict[str, list[int]]] = {}
    rows: list[Row] = []
    errors: list[RowError] = []
    for number, cells in table.rows:
        parsed: dict[str, Any] = {}
        row_errors: list[RowError] = []
        for f in present:
            if f.kind in ("date", "flagdate") and f.name not in parsers:
                continue  # the column's format is in question: ImportStop below
            header = table.headers[columns.index[f.name]]
            text = cells[columns.index[f.name]]
            try:
                parsed[f.name] = _convert(f, text, parsers.get(f.name), value_maps.get(f.name))
            except _Unknown:
                unknown_words.setdefault(f.name, {}).setdefault(text, []).append(number)
            except ValueError as exc:
                row_errors.append(RowError(number, header, str(exc)))
        if row_errors:
            errors.extend(row_errors)
        else:
            rows.append(Row(number, cells, parsed))
    for fname, words in unknown_words.items():
        f = next(x for x in fields if x.name == fname)
        listed = ", ".join(
            f'"{w}" (row{"s" if len(n) > 1 else ""} {", ".join(map(str, n[:5]))}'
            f'{"…" if len(n) > 5 else ""})' for w, n in sorted(words.items()))
        example = next(iter(sorted(words)))
        target = f.choices[1] if len(f.choices) > 1 else f.choices[0]
        stops.append(
            f"Unknown {fname} words: {listed}. Map each one to {', '.join(f.choices)}, "
            f'e.g. --value-map "{fname}:{example}={target}".'
        )
    if stops:
        raise ImportStop(stops, needs_date_format=needs_format)
    return rows, errors


class _Unknown(Exception):
    """A word of a stop-on-unknown choice field that nothing maps."""


def _convert(f: Field, text: str, parse_date: Any, value_map: Mapping[str, str] | None) -> Any:
    """One cell -> the field's value; ValueError with a reason for the report."""
    if not text:
        if f.required:
            raise ValueError("required")
        return [] if f.kind == "list" else f.default
    if f.max_length and len(text) > f.max_length:
        raise ValueError(f"longer than {f.max_length} characters")
    if f.kind in ("text",):
        if not f.multiline and has_line_break(text):
            raise ValueError("must be on one line (it has a line break)")
        return text
    if f.kind == "email":
        if "@" not in text or " " in text:
            raise ValueError(f'"{text}" is not an email address')
        return text
    if f.kind == "int":
        try:
            number = int(text)
        except ValueError:
            raise ValueError(f'"{text}" is not a whole number') from None
        if (f.minimum is not None and number < f.minimum) or (
                f.maximum is not None and number > f.maximum):
            raise ValueError(f"must be between {f.minimum} and {f.maximum}")
        return number
    if f.kind == "money":
        return parse_amount(text)
    if f.kind == "bool":
        return parse_bool(text)
    if f.kind == "choice":
        try:
            return parse_choice(text, f, value_map)
        except ValueError:
            if f.stop_on_unknown:
                raise _Unknown from None
            raise
    if f.kind == "list":
        return parse_list(text)
    if f.kind in ("date", "flagdate"):
        if f.kind == "flagdate" and text.casefold() in TRUE_WORDS | FALSE_WORDS:
            return parse_bool(text)
        parsed: date | None = parse_date(text)
        if parsed is None:
            raise ValueError(f'"{text}" is not a date (ISO 2026-03-31, US 03/31/2026 or '
                             "EU 31/03/2026)" + (" or yes/no" if f.kind == "flagdate" else ""))
        return parsed
    raise AssertionError(f"unknown field kind {f.kind}")  # pragma: no cover


def write_rejected(report: ImportReport, source: Path) -> Path:
    """Write the rejected rows next to the input file: NAME.rejected.csv."""
    path = source.with_name(f"{source.stem}.rejected.csv")
    path.write_text(report.rejected_csv(), encoding="utf-8")
    return path


__all__ = ["KINDS", "ImportReport", "ImportStop", "run_import", "write_rejected",
           "kind_module", "norm_word"]
