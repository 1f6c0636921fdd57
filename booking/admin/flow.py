"""Small view steps that more than one admin page takes."""

from flask import flash, redirect
from flask_babel import gettext as _

from ..errors import DomainError
from .forms import RevokeForm


def revoke_role(revoke, back: str):
    """Take a role away (the role named by the posted form) and go back to the list.

    `revoke(role)` is the service call; out of scope (404) is not revealed as a message.
    """
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(back)
    try:
        user = revoke(form.role.data)
    except DomainError as err:
        if err.status == 404:
            raise
        flash(err.message, "error")
    else:
        flash(_("Role removed from %(name)s.", name=user.display_name), "success")
    return redirect(back)
