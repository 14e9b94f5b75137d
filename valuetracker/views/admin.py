"""Admins manage users."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.wrappers import Response
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlmodel import select
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Regexp,
    ValidationError,
)

from .. import audit
from ..access import may_administer, permission_required, role_may_administer
from ..db import StaleEditError, get_session
from ..forms import EmptyForm, LineField, choices
from ..models import ROLE_LABELS, User, utcnow
from ..pagination import paginate
from ..sessions import end_all_sessions, live_sessions, sign_in
from ..users import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    UserError,
    check_password_policy,
    clean_title,
    create_user,
    find_user,
    update_user,
)
from ._request import date_arg, edit_conflict, file_response, id_arg, page_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_CHOICES = choices(ROLE_LABELS)


PASSWORD_HINT = (f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters; "
                 "not one of the most common passwords.")


def password_policy(form: FlaskForm, field: PasswordField) -> None:
    """The one password policy (`users.check_password_policy`); nothing typed = no change.
    Not Optional(): a password of spaces must be refused, not taken as empty."""
    if field.data:
        problem = check_password_policy(field.data)
        if problem:
            raise ValidationError(problem)


TITLE_HINT = "Signs the e-mails to customers, with the name (e.g. Account Director)."


class UserCreateForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=255)])
    name = LineField("Name", validators=[DataRequired(), Length(max=200)])
    title = LineField("Title", validators=[Length(max=200)], description=TITLE_HINT)
    role = SelectField("Role", choices=ROLE_CHOICES)
    password = PasswordField(
        "Initial password", validators=[InputRequired(), password_policy],
        description=PASSWORD_HINT,
    )

    def validate_email(self, field: EmailField) -> None:
        if find_user(get_session(), field.data) is not None:
            raise ValidationError("A user with this email already exists.")


class UserEditForm(FlaskForm):
    name = LineField("Name", validators=[DataRequired(), Length(max=200)])
    title = LineField("Title", validators=[Length(max=200)], description=TITLE_HINT)
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Active (may log in)")
    version = HiddenField()  # optimistic locking: the version the form was loaded at
    password = PasswordField(
        "New password (leave empty to keep)", validators=[password_policy],
        description=PASSWORD_HINT,
    )


def _get_user(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users")
@permission_required(may_administer)
def list_users() -> str:
    users = get_session().exec(select(User).order_by(User.name)).all()
    return render_template("admin/users.html", users=users)


@bp.route("/users/new", methods=["GET", "POST"])
@permission_required(may_administer)
def create_user_view() -> object:
    form = UserCreateForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            user = create_user(session, email=form.email.data, name=form.name.data,
                               role=form.role.data, password=form.password.data,
                               title=form.title.data)
        except UserError as exc:
            form.email.errors.append(str(exc))
        else:
            session.commit()
            flash(f"User {user.email} created.", "success")
            return redirect(url_for("admin.list_users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@permission_required(may_administer)
def edit_user(user_id: int) -> object:
    user = _get_user(user_id)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        if user.id == current_user.id and (not role_may_administer(form.role.data)
                                           or not form.active.data):
            form.role.errors.append("You cannot remove your own admin rights or deactivate "
                                    "yourself; ask another admin.")
        else:
            session = get_session()
            try:
                update_user(session, user, name=form.name.data, role=form.role.data,
                            active=form.active.data, expected_version=form.version.data,
                            password=form.password.data or None, title=form.title.data)
            except StaleEditError:
                conflict = edit_conflict(session, form, user, {
                    "name": form.name.data.strip(), "title": clean_title(form.title.data),
                    "role": form.role.data, "active": form.active.data}, entity="user")
                if form.password.data:
                    conflict["differences"].append(("New password", "—", "not saved"))
                return render_template("admin/user_form.html", form=form, user=user,
                                       conflict=conflict,
                                       sessions=live_sessions(session, user)), 409
            if not user.active:
                end_all_sessions(session, user, actor=current_user)
            if form.password.data and user.id == current_user.id:
                # A new password ends the sessions holding the old one; not this one
                # (and a "keep me signed in" cookie is renewed with the new one).
                remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME",
                                                         "remember_token")
                sign_in(session, user, remember=remember_cookie in request.cookies)
            session.commit()
            flash(f"User {user.email} saved.", "success")
            return redirect(url_for("admin.list_users"))
    return render_template("admin/user_form.html", form=form, user=user,
                           sessions=live_sessions(get_session(), user))


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
@permission_required(may_administer)
def end_sessions(user_id: int) -> object:
    """End every session of the user (a lost laptop, a departure): they sign in again."""
    user = _get_user(user_id)
    if EmptyForm().validate_on_submit():
        session = get_session()
        ended = end_all_sessions(session, user, actor=current_user)
        session.commit()
        flash(f"Ended {ended} session(s) of {user.email}." if ended else
              f"{user.email} had no session to end.", "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


AUDIT_PAGE_SIZE = 50


def _trail_filter() -> tuple[audit.TrailFilter, dict[str, str]]:
    """The audit log's filter from the query string, and the arguments that keep it
    (for the pager and the CSV link). Values that are not what they should be are
    left out rather than refused: the page still shows the trail."""
    entity = (request.args.get("object") or "").strip()[:60] or None
    entity_id = (request.args.get("object_id") or "").strip()[:64] or None
    trail = audit.TrailFilter(user_id=id_arg("user"), entity=entity, entity_id=entity_id,
                              since=date_arg("since"), until=date_arg("until"))
    args = {"user": trail.user_id, "object": trail.entity, "object_id": trail.entity_id,
            "since": trail.since, "until": trail.until}
    return trail, {key: str(value) for key, value in args.items() if value}


@bp.route("/audit")
@permission_required(may_administer)
def audit_log() -> str:
    """Every recorded change, newest first, paged and filtered by who, object and date."""
    session = get_session()
    trail, args = _trail_filter()
    page = paginate(session, audit.trail_query(trail), number=page_arg(),
                    size=AUDIT_PAGE_SIZE)
    users = session.exec(select(User.id, User.email).order_by(User.email)).all()
    return render_template("admin/audit.html", page=page, args=args, trail=trail,
                           users=users, entities=audit.trail_entities(session),
                           changed_fields=audit.changed_fields)


@bp.route("/audit.csv")
@permission_required(may_administer)
def audit_csv() -> Response:
    """The filtered trail as CSV (one line per changed field)."""
    trail, _args = _trail_filter()
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return file_response(audit.trail_csv(get_session(), trail),
                         filename=f"audit-{stamp}.csv", mimetype="text/csv")


# Branding (summaries helper): company name, logo and colour of the PDF summaries,
# and the message sent with them. Stored in Setting; see summaries/branding.py.
class BrandingForm(FlaskForm):
    company_name = LineField("Company name", validators=[DataRequired(), Length(max=200)])
    primary_color = StringField(
        "Primary colour", validators=[DataRequired(), Regexp(r"^#[0-9a-fA-F]{6}$",
                                                             message="Use a hex colour like "
                                                                     "#1d4ed8.")])
    logo = FileField("Logo (PNG or JPEG, at most 256 KB)")
    remove_logo = BooleanField("Remove the current logo")
    email_template = TextAreaField(
        "Message sent with each summary",
        validators=[Length(max=5000)],
        description="Placeholders: $name, $first_name, $account, $quarter, $sender (the "
                    "account manager), $sender_title. End with your closing words: the "
                    "account manager's signature and the unsubscribe link follow the "
                    "text. Leave empty for the default text.",
        render_kw={"rows": 10})
    version = HiddenField()  # optimistic locking (summaries.branding.branding_version)


@bp.route("/branding", methods=["GET", "POST"])
@permission_required(may_administer)
def branding() -> object:
    from ..summaries.branding import (
        MAX_LOGO_BYTES,
        Branding,
        BrandingError,
        branding_version,
        get_branding,
        save_branding,
        store_logo,
    )
    from ..summaries.send import message_template, save_message_template

    session = get_session()
    current = get_branding(session)
    form = BrandingForm(data={"company_name": current.company_name,
                              "primary_color": current.primary_color,
                              "email_template": message_template(session),
                              "version": str(branding_version(session))})
    conflict = None
    if form.validate_on_submit():
        logo_filename = None if form.remove_logo.data else current.logo_filename
        upload = form.logo.data
        try:
            if upload and getattr(upload, "filename", ""):
                logo_filename = store_logo(upload.read(MAX_LOGO_BYTES + 1))
        except BrandingError as exc:
            form.logo.errors = [str(exc)]
        else:
            new = Branding(form.company_name.data.strip(), form.primary_color.data.lower(),
                           logo_filename)
            diff = audit.changes(current, {"company_name": new.company_name,
                                           "primary_color": new.primary_color,
                                           "logo_filename": new.logo_filename})
            try:
                save_branding(session, new, expected_version=form.version.data)
            except StaleEditError:
                conflict = _branding_conflict(session, form, new)
            else:
                save_message_template(session, form.email_template.data or "")
                audit.record(session, "update", "setting", "branding", "branding updated",
                             details=diff)
                session.commit()
                flash("Branding saved.", "success")
                return redirect(url_for("admin.branding"))
    return render_template("admin/branding.html", form=form, branding=current,
                           conflict=conflict), 409 if conflict else 200


def _branding_conflict(session: Any, form: BrandingForm, mine: Any) -> dict[str, Any]:
    """The edit-conflict answer for the branding (a Setting row, not a table of its own):
    the saved values next to the user's; the form moves to the saved version."""
    from ..accounts import last_editor
    from ..summaries.branding import branding_version, get_branding
    from ..summaries.send import message_template

    session.rollback()
    saved = get_branding(session)
    differences = [(getattr(form, name).label.text, getattr(saved, name), getattr(mine, name))
                   for name in ("company_name", "primary_color")
                   if getattr(saved, name) != getattr(mine, name)]
    if (saved.logo_filename or None) != (mine.logo_filename or None):
        differences.append(("Logo", saved.logo_filename or "—", mine.logo_filename or "—"))
    if message_template(session) != (form.email_template.data or ""):
        differences.append((form.email_template.label.text, "changed", "yours kept below"))
    form.version.data = str(branding_version(session))
    return {"who": last_editor(session, "setting", "branding"), "differences": differences}


# Signal weights: how many health points each open signal takes off (signals/health.py).
def _weights_form(data: dict[str, Any] | None = None) -> FlaskForm:
    from wtforms import IntegerField
    from wtforms.validators import NumberRange

    from ..signals import KINDS
    from ..signals.health import MAX_WEIGHT

    class SignalWeightsForm(FlaskForm):
        version = HiddenField()  # optimistic locking (signals.health.weights_version)

    for name, k in KINDS.items():
        setattr(SignalWeightsForm, name, IntegerField(
            k.label, validators=[InputRequired(), NumberRange(min=0, max=MAX_WEIGHT)],
            description=f"{k.severity.capitalize()} severity · default {k.weight}"))
    return SignalWeightsForm(data=data)


@bp.route("/signals", methods=["GET", "POST"])
@permission_required(may_administer)
def signal_weights() -> object:
    from ..signals import KINDS
    from ..signals.health import (
        HEALTHY_MIN,
        WATCH_MIN,
        WeightsError,
        get_weights,
        save_weights,
        weights_version,
    )

    session = get_session()
    current = get_weights(session)
    form = _weights_form({**current, "version": str(weights_version(session))})
    conflict = None
    if form.validate_on_submit():
        new = {name: getattr(form, name).data for name in KINDS}
        try:
            save_weights(session, new, expected_version=form.version.data)
        except StaleEditError:
            from ..accounts import last_editor
            from ..signals.health import WEIGHTS_KEY

            session.rollback()
            saved = get_weights(session)
            conflict = {"who": last_editor(session, "setting", WEIGHTS_KEY), "differences": [
                (KINDS[n].label, saved[n], new[n]) for n in KINDS if saved[n] != new[n]]}
            form.version.data = str(weights_version(session))
        except WeightsError as exc:
            form.form_errors.append(str(exc))
        else:
            session.commit()
            flash("Signal weights saved. Health scores use them from now on.", "success")
            return redirect(url_for("admin.signal_weights"))
    return render_template("admin/signals.html", form=form, kinds=KINDS,
                           healthy_min=HEALTHY_MIN, watch_min=WATCH_MIN,
                           conflict=conflict), 409 if conflict else 200
