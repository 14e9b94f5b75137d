"""Admins manage users."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlmodel import select
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from .. import audit
from ..access import may_administer, permission_required, role_may_administer
from ..db import get_session
from ..forms import choices
from ..models import ROLE_LABELS, User, utcnow
from ..pagination import paginate
from ..users import MIN_PASSWORD_LENGTH, UserError, create_user, find_user, update_user
from ._request import date_arg, file_response, id_arg, page_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_CHOICES = choices(ROLE_LABELS)


class UserCreateForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=255)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    password = PasswordField(
        "Initial password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
    )

    def validate_email(self, field: EmailField) -> None:
        if find_user(get_session(), field.data) is not None:
            raise ValidationError("A user with this email already exists.")


class UserEditForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Active (may log in)")
    password = PasswordField(
        "New password (leave empty to keep)",
        validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
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
                               role=form.role.data, password=form.password.data)
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
            update_user(session, user, name=form.name.data, role=form.role.data,
                        active=form.active.data, password=form.password.data or None)
            session.commit()
            if form.password.data and user.id == current_user.id:
                # A new password ends the sessions holding the old one; not this one
                # (and a "keep me signed in" cookie is renewed with the new one).
                remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME",
                                                         "remember_token")
                login_user(user, remember=remember_cookie in request.cookies)
            flash(f"User {user.email} saved.", "success")
            return redirect(url_for("admin.list_users"))
    return render_template("admin/user_form.html", form=form, user=user)


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
    company_name = StringField("Company name", validators=[DataRequired(), Length(max=200)])
    primary_color = StringField(
        "Primary colour", validators=[DataRequired(), Regexp(r"^#[0-9a-fA-F]{6}$",
                                                             message="Use a hex colour like "
                                                                     "#1d4ed8.")])
    logo = FileField("Logo (PNG or JPEG, at most 256 KB)")
    remove_logo = BooleanField("Remove the current logo")
    email_template = TextAreaField(
        "Message sent with each summary",
        validators=[Length(max=5000)],
        description="Placeholders: $name, $first_name, $account, $quarter, $sender. "
                    "Leave empty for the default text.",
        render_kw={"rows": 10})


@bp.route("/branding", methods=["GET", "POST"])
@permission_required(may_administer)
def branding() -> object:
    from ..summaries.branding import (
        MAX_LOGO_BYTES,
        Branding,
        BrandingError,
        get_branding,
        save_branding,
        store_logo,
    )
    from ..summaries.send import message_template, save_message_template

    session = get_session()
    current = get_branding(session)
    form = BrandingForm(data={"company_name": current.company_name,
                              "primary_color": current.primary_color,
                              "email_template": message_template(session)})
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
            save_branding(session, new)
            save_message_template(session, form.email_template.data or "")
            audit.record(session, "update", "setting", "branding", "branding updated",
                         details=diff)
            session.commit()
            flash("Branding saved.", "success")
            return redirect(url_for("admin.branding"))
    return render_template("admin/branding.html", form=form, branding=current)
