"""The import wizard: upload a CSV → map its columns → preview with errors → import.

Same code path as `valuetracker import` (`imports.run_import`). The upload is kept on
the server under `instance/uploads/<random token>.csv` (never a client path, never the
session) with a small JSON file of its settings, and deleted after the import.

Running an import claims the upload first by renaming `<token>.csv` to
`<token>.importing`: a rename is atomic, so of two concurrent "Import" clicks exactly one
imports; the other is told the file is being (or was already) imported. A finished
import leaves only `<token>.imported` (who imported it, no data) so a late click still
gets that answer; stale files are removed after a day like abandoned uploads.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path
from typing import Any, NoReturn

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..access import may_import, permission_required, require
from ..db import get_session, refresh_statistics
from ..forms import choices
from ..imports import KIND_TABLES, KINDS, ImportStop, parse_value_maps, run_import
from ..imports.presets import PRESETS, describe, get_preset, prepare_table, preset_mapping
from ..imports.reading import IGNORE, Table, norm_name, read_table, resolve_columns

bp = Blueprint("imports", __name__, url_prefix="/import")

KIND_LABELS = {"accounts": "Accounts", "stakeholders": "Stakeholders", "deals": "Deals",
               "value": "Value entries"}
PREVIEW_ROWS = 10
MAX_ERRORS_SHOWN = 500
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class UploadForm(FlaskForm):
    kind = SelectField("What the file contains")
    preset = SelectField(
        "Exported from", default="",
        choices=choices({p.name: f"{p.label} (its standard export)" for p in PRESETS.values()},
                        blank="Another system or a spreadsheet"),
        description="A preset reads the system's column names, stage words and dates; "
                    "you can still change the mapping on the next page.")
    file = FileField("CSV file (UTF-8, with or without BOM)", validators=[FileRequired()])


class ConfirmForm(FlaskForm):
    skip_invalid = BooleanField("Skip invalid rows and import the valid ones")


def _kinds_for(user: Any) -> list[str]:
    return [kind for kind in KINDS if may_import(user, kind)]


def _upload_dir() -> Path:
    path = Path(current_app.config.get("UPLOAD_DIR")
                or Path(current_app.instance_path) / "uploads")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _load_upload(token: str) -> tuple[dict[str, Any], bytes]:
    """The upload's settings and bytes, if it is the current user's (404 otherwise).

    An upload being imported, or imported already, answers with that message and a
    redirect to the import page (`_claimed_elsewhere`)."""
    if not _TOKEN.match(token):
        abort(404)
    meta_path = _upload_dir() / f"{token}.json"
    data_path = _upload_dir() / f"{token}.csv"
    if not data_path.exists():
        _claimed_elsewhere(token)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:  # imported since the check above (or never uploaded)
        _claimed_elsewhere(token)
    if meta.get("user_id") != current_user.id:
        abort(404)
    require(may_import(current_user, meta["kind"]))
    try:
        return meta, data_path.read_bytes()
    except FileNotFoundError:  # claimed by a run since the check above
        _claimed_elsewhere(token)


def _save_meta(token: str, meta: dict[str, Any]) -> None:
    # Written aside and renamed into place: a concurrent request never reads half a file.
    _write_atomic(_upload_dir() / f"{token}.json", json.dumps(meta))


def _write_atomic(path: Path, text: str) -> None:
    part = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)


def _claim_upload(token: str) -> Path | None:
    """Take the upload for one import run: rename its data file out of the "ready" name.
    The rename is atomic, so of two concurrent runs exactly one gets the path back."""
    claimed = _upload_dir() / f"{token}.importing"
    try:
        os.rename(_upload_dir() / f"{token}.csv", claimed)
    except FileNotFoundError:
        return None
    return claimed


def _release_upload(token: str) -> None:
    """Give a claimed upload back (the import stopped or wrote nothing): it can be fixed
    in the wizard and run again."""
    os.replace(_upload_dir() / f"{token}.importing", _upload_dir() / f"{token}.csv")


def _finish_upload(token: str, meta: dict[str, Any]) -> None:
    """The import is committed: keep only who imported it (for a late second click)."""
    _write_atomic(_upload_dir() / f"{token}.imported",
                  json.dumps({"user_id": meta.get("user_id"), "kind": meta.get("kind")}))
    _delete_upload(token)


def _claimed_elsewhere(token: str) -> NoReturn:
    """The upload's data is gone: being imported by another request, or imported. Tell the
    user who uploaded it so and go back to the import page; anyone else gets a 404."""
    upload_dir = _upload_dir()
    # (state file, the file naming its uploader, message); checked in the order a run
    # moves through them, so one finishing meanwhile is still found.
    states = ((".importing", ".json", "This file is being imported: wait for that import "
               "to finish; its result appears on this page."),
              (".imported", ".imported", "This file was already imported; it was not "
               "imported again. Upload it anew to import it once more."))
    for state, owner_file, message in states:
        if not (upload_dir / f"{token}{state}").exists():
            continue
        try:
            owner = json.loads((upload_dir / f"{token}{owner_file}")
                               .read_text(encoding="utf-8")).get("user_id")
        except (OSError, ValueError):
            continue  # finished meanwhile: the next state answers
        if owner == current_user.id:
            flash(message, "warning")
            abort(redirect(url_for("imports.index")))
    abort(404)


def _delete_upload(token: str) -> None:
    for suffix in (".csv", ".json", ".importing"):
        (_upload_dir() / f"{token}{suffix}").unlink(missing_ok=True)


def _remove_stale_uploads(max_age: float = 24 * 3600) -> None:
    """Uploads abandoned in the wizard are removed after a day."""
    import time

    cutoff = time.time() - max_age
    for path in _upload_dir().iterdir():
        if path.suffix in (".csv", ".json", ".importing", ".imported", ".part") \
                and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


@bp.route("/", methods=["GET", "POST"])
@permission_required(may_import)
def index() -> Any:
    """Choose what to import and upload the file."""
    kinds = _kinds_for(current_user)
    _remove_stale_uploads()
    form = UploadForm()
    form.kind.choices = choices({k: KIND_LABELS[k] for k in kinds})
    if form.is_submitted() and form.kind.data in KINDS and form.kind.data not in kinds:
        abort(403)
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            if form.preset.data:
                get_preset(form.preset.data, form.kind.data)
        except ImportStop as exc:
            form.preset.errors = list(exc.problems)
            return _render_index(form, kinds)
        try:
            read_table(data)
        except ImportStop as exc:
            form.file.errors = list(exc.problems)
        else:
            token = secrets.token_urlsafe(24)
            (_upload_dir() / f"{token}.csv").write_bytes(data)
            _save_meta(token, {"kind": form.kind.data, "user_id": current_user.id,
                               "filename": Path(form.file.data.filename or "upload.csv").name,
                               "mapping": None, "date_format": "", "value_map": "",
                               "preset": form.preset.data or None})
            return redirect(url_for("imports.map_columns", token=token))
    return _render_index(form, kinds)


def _render_index(form: UploadForm, kinds: list[str]) -> str:
    return render_template("imports/index.html", form=form, kinds=kinds, labels=KIND_LABELS,
                           fields={k: KINDS[k].FIELDS for k in kinds})


def _table(meta: dict[str, Any], data: bytes) -> Table:
    """The upload as the import reads it (with a preset's joined columns)."""
    table = read_table(data)
    if meta.get("preset"):
        table = prepare_table(table, get_preset(meta["preset"], meta["kind"]))
    return table


def _preset_columns(meta: dict[str, Any], headers: list[str]) -> dict[str, str]:
    """{file column: field} the upload's preset reads (empty without a preset)."""
    if not meta.get("preset"):
        return {}
    kind_preset = get_preset(meta["preset"], meta["kind"])
    names = {f.name for f in KINDS[meta["kind"]].FIELDS}
    return dict(describe(kind_preset, headers, preset_mapping(kind_preset, headers, names)))


def _mapping_form(headers: list[str], kind: str, meta: dict[str, Any]) -> FlaskForm:
    fields = KINDS[kind].FIELDS
    names = {f.name for f in fields}
    # With a preset, its reading of the system's columns replaces the generic guesses.
    from_preset = _preset_columns(meta, headers)
    suggested = {} if from_preset else getattr(KINDS[kind], "SUGGESTED", {})
    options = choices({IGNORE: "— ignore —",
                       **{f.name: f.name + (" *" if f.required else "") for f in fields}})

    class MappingForm(FlaskForm):
        date_format = StringField(
            "Date format (only when asked)", validators=[Optional(), Length(max=40)],
            description='For dates that could be month-first or day-first: "%m/%d/%Y" '
                        '(US) or "%d/%m/%Y" (EU).')
        value_map = TextAreaField(
            "Word mapping (optional)", validators=[Optional(), Length(max=4000)],
            description='One per line, e.g. "outcome:Signed=won".')

    saved = meta.get("mapping") or {}
    preset_dates = (get_preset(meta["preset"], kind).date_format
                    if meta.get("preset") else None)
    defaults: dict[str, Any] = {"date_format": meta.get("date_format") or preset_dates or "",
                                "value_map": meta.get("value_map") or ""}
    for i, header in enumerate(headers):
        setattr(MappingForm, f"col_{i}", SelectField(header or f"Column {i + 1}",
                                                     choices=options))
        norm = norm_name(header)
        guess = from_preset.get(header) or (
            norm if norm in names else suggested.get(norm, IGNORE))
        defaults[f"col_{i}"] = saved.get(header) or guess
    # A field guessed for two columns keeps only the first (exact names win).
    taken: set[str] = set()
    for i, _header in sorted(enumerate(headers),
                             key=lambda pair: (pair[1] not in from_preset,
                                               norm_name(pair[1]) not in names)):
        choice = defaults[f"col_{i}"]
        if choice != IGNORE and choice in taken and not saved:
            defaults[f"col_{i}"] = IGNORE
        taken.add(choice)
    return MappingForm(data=defaults)


@bp.route("/<token>/map", methods=["GET", "POST"])
@permission_required(may_import)
def map_columns(token: str) -> Any:
    """Say which field each file column feeds (pre-filled by name)."""
    meta, data = _load_upload(token)
    table = _table(meta, data)
    form = _mapping_form(table.headers, meta["kind"], meta)
    problems: list[str] = []
    if form.validate_on_submit():
        mapping = {h: form[f"col_{i}"].data for i, h in enumerate(table.headers)}
        try:
            resolve_columns(table.headers, KINDS[meta["kind"]].FIELDS, mapping)
            parse_value_maps(_lines(form.value_map.data))
        except ImportStop as exc:
            problems = exc.problems
        else:
            meta.update(mapping=mapping, date_format=form.date_format.data.strip(),
                        value_map=form.value_map.data or "")
            _save_meta(token, meta)
            return redirect(url_for("imports.preview", token=token))
    return _render_map(token, meta, table, form, problems)


def _render_map(token: str, meta: dict[str, Any], table: Any, form: FlaskForm,
                problems: list[str], needs_date_format: bool = False) -> str:
    samples = [next((cells[i] for _, cells in table.rows if cells[i]), "")
               for i in range(len(table.headers))]
    preset = PRESETS[meta["preset"]] if meta.get("preset") else None
    return render_template("imports/map.html", token=token, meta=meta, form=form,
                           columns=list(zip(table.headers, samples, strict=True)),
                           problems=problems, needs_date_format=needs_date_format,
                           label=KIND_LABELS[meta["kind"]], preset=preset,
                           preset_columns=_preset_columns(meta, table.headers),
                           preset_words=preset.kinds[meta["kind"]].value_maps if preset else {})


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _run(meta: dict[str, Any], data: bytes, *, dry_run: bool, skip_invalid: bool = False) -> Any:
    return run_import(
        get_session(), meta["kind"], data,
        mapping=meta.get("mapping"),
        date_format=meta.get("date_format") or None,
        value_maps=parse_value_maps(_lines(meta.get("value_map"))),
        dry_run=dry_run, skip_invalid=skip_invalid,
        actor=current_user._get_current_object(),  # type: ignore[attr-defined]
        source=meta.get("filename", ""),
        preset=meta.get("preset"),
    )


def _render_preview(token: str, meta: dict[str, Any], data: bytes, report: Any,
                    form: FlaskForm) -> str:
    table = _table(meta, data)
    return render_template("imports/preview.html", token=token, meta=meta, report=report,
                           form=form, headers=table.headers, rows=table.rows[:PREVIEW_ROWS],
                           errors=report.errors[:MAX_ERRORS_SHOWN],
                           label=KIND_LABELS[meta["kind"]],
                           preset=PRESETS[report.preset] if report.preset else None,
                           preset_columns=dict(report.preset_columns))


def _stopped(token: str, meta: dict[str, Any], data: bytes, exc: ImportStop) -> str:
    get_session().rollback()
    table = _table(meta, data)
    form = _mapping_form(table.headers, meta["kind"], meta)
    return _render_map(token, meta, table, form, exc.problems, exc.needs_date_format)


@bp.route("/<token>/preview")
@permission_required(may_import)
def preview(token: str) -> Any:
    """What the import would do: first rows, every error, counts. Writes nothing."""
    meta, data = _load_upload(token)
    try:
        report = _run(meta, data, dry_run=True)
    except ImportStop as exc:
        return _stopped(token, meta, data, exc)
    get_session().rollback()
    return _render_preview(token, meta, data, report, ConfirmForm())


@bp.route("/<token>/run", methods=["POST"])
@permission_required(may_import)
def run(token: str) -> Any:
    """Import for real: one transaction, all or nothing unless skipping invalid rows."""
    meta, _data = _load_upload(token)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    claimed = _claim_upload(token)
    if claimed is None:  # another request took it between the load and the claim
        _claimed_elsewhere(token)
    session = get_session()
    try:
        data = claimed.read_bytes()
        report = _run(meta, data, dry_run=False, skip_invalid=form.skip_invalid.data)
        if report.written:
            session.commit()
    except ImportStop as exc:
        _release_upload(token)
        return _stopped(token, meta, data, exc)
    except BaseException:
        session.rollback()
        _release_upload(token)
        raise
    if not report.written:
        session.rollback()
        _release_upload(token)
        flash("Nothing was imported: fix the errors below, or skip the invalid rows.", "danger")
        return _render_preview(token, meta, data, report, form)
    _finish_upload(token, meta)
    refresh_statistics(session, KIND_TABLES[meta["kind"]])
    message = f"Imported {KIND_LABELS[meta['kind']].lower()}: {report.summary()}."
    if report.rejected:
        message += " Rejected rows were skipped; fix them in the file and import it again."
    flash(message, "success")
    return redirect(url_for("imports.index"))
