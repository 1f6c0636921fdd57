"""District admin pages (/admin/district/...): organizations, their admins, invite codes.

Nested in the admin blueprint (endpoints `admin.district.*`); the services let only district
admins in (Forbidden → 403).
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..errors import DomainError
from . import district, people, scope
from .flow import revoke_role
from .forms import (
    ActionForm,
    GrantForm,
    NewOrganizationForm,
    OrganizationForm,
    RevokeForm,
    StaffForm,
    put_error,
    role_choices,
)

bp = Blueprint("district", __name__, url_prefix="/district")


def _put_error(form, err: DomainError) -> None:
    put_error(form, err, {"timezone": "venue_timezone"} if hasattr(form, "venue_timezone") else None)


def _parent_choices(form, exclude: int | None = None) -> None:
    rows = district.organizations(current_user)
    form.parent_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(o.id), "\u3000" * depth + o.name) for o, depth, _ in rows if o.id != exclude
    ]


@bp.get("/")
def organizations():
    rows = district.organizations(current_user)
    return render_template("admin/district/organizations.html", rows=rows)


@bp.route("/organizations/new", methods=["GET", "POST"])
def organization_new():
    scope.require_district(current_user)
    form = NewOrganizationForm()
    _parent_choices(form)
    status = 200
    if form.validate_on_submit():
        try:
            org, _venue = district.create_organization(current_user, form.values(), form.venue_values())
        except DomainError as err:
            _put_error(form, err)
            status = 422
        else:
            flash(_("Saved: %(name)s.", name=org.name), "success")
            return redirect(url_for("admin.district.organization", org_id=org.id))
    elif form.is_submitted():
        status = 400
    return render_template("admin/district/organization_new.html", form=form), status


def _admin_forms(org):
    roles = role_choices(people.admin_roles_for(org))
    create, grant = StaffForm(prefix="new"), GrantForm(prefix="grant")
    create.role.choices = grant.role.choices = roles
    return create, grant


def _page(org_id: int, form=None, create=None, grant=None, status: int = 200):
    org, admins = people.org_admins(current_user, org_id)
    if form is None:
        form = OrganizationForm(
            data={"name": org.name, "kind": org.kind, "headcount": org.headcount, "parent_id": str(org.parent_id or "")}
        )
    _parent_choices(form, exclude=org.id)
    default_create, default_grant = _admin_forms(org)
    return render_template(
        "admin/district/organization.html",
        org=org,
        admins=admins,
        form=form,
        create=create or default_create,
        grant=grant or default_grant,
        revoke=RevokeForm(),
        action=ActionForm(),
        roles=people.admin_roles_for(org),
    ), status


@bp.route("/organizations/<int:org_id>", methods=["GET", "POST"])
def organization(org_id: int):
    scope.organization_for(current_user, org_id)
    if request.method == "GET":
        return _page(org_id)
    form = OrganizationForm()
    if not form.validate_on_submit():
        return _page(org_id, form=form, status=400)
    try:
        org = district.change_organization(current_user, org_id, form.values())
    except DomainError as err:
        _put_error(form, err)
        return _page(org_id, form=form, status=422)
    flash(_("Saved: %(name)s.", name=org.name), "success")
    return redirect(url_for("admin.district.organization", org_id=org_id))


@bp.post("/organizations/<int:org_id>/invite-code")
def invite_code(org_id: int):
    scope.organization_for(current_user, org_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
    else:
        try:
            org = district.regenerate_invite_code(current_user, org_id)
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("New invite code: %(code)s. The old one no longer works.", code=org.invite_code), "success")
    return redirect(url_for("admin.district.organization", org_id=org_id))


@bp.post("/organizations/<int:org_id>/admins/new")
def admin_new(org_id: int):
    org = scope.organization_for(current_user, org_id)
    create, _grant = _admin_forms(org)
    if not create.validate_on_submit():
        return _page(org_id, create=create, status=400)
    try:
        user = people.create_org_admin(
            current_user, org_id, create.username.data, create.display_name.data, create.password.data, create.role.data
        )
    except DomainError as err:
        _put_error(create, err)
        return _page(org_id, create=create, status=422)
    flash(
        _("Account created: %(username)s. Give them the initial password in person.", username=user.username), "success"
    )
    return redirect(url_for("admin.district.organization", org_id=org_id))


@bp.post("/organizations/<int:org_id>/admins/grant")
def admin_grant(org_id: int):
    org = scope.organization_for(current_user, org_id)
    _create, grant = _admin_forms(org)
    if not grant.validate_on_submit():
        return _page(org_id, grant=grant, status=400)
    try:
        user = people.grant_org_admin(current_user, org_id, grant.username.data, grant.role.data)
    except DomainError as err:
        _put_error(grant, err)
        return _page(org_id, grant=grant, status=422)
    flash(_("%(name)s is now an admin here.", name=user.display_name), "success")
    return redirect(url_for("admin.district.organization", org_id=org_id))


@bp.post("/organizations/<int:org_id>/admins/<int:user_id>/revoke")
def admin_revoke(org_id: int, user_id: int):
    scope.organization_for(current_user, org_id)
    return revoke_role(
        lambda role: people.revoke_org_admin(current_user, org_id, user_id, role),
        url_for("admin.district.organization", org_id=org_id),
    )
