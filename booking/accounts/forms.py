"""Web forms (Flask-WTF: CSRF on every one). Business checks stay in services.py."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import BaseForm


class LoginForm(BaseForm):
    identifier = StringField(
        _l("Username or phone"),
        validators=[DataRequired(_l("Please enter your username or phone number.")), Length(max=60)],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Please enter your password.")), Length(max=128)]
    )
    remember = BooleanField(_l("Keep me signed in"))


class RegisterForm(BaseForm):
    invite_code = StringField(
        _l("Enterprise invite code"),
        validators=[DataRequired(_l("Please enter your enterprise's invite code.")), Length(max=16)],
    )
    username = StringField(_l("Username"), validators=[DataRequired(_l("Please choose a username.")), Length(max=40)])
    display_name = StringField(
        _l("Your name"), validators=[DataRequired(_l("Please give your name (at most 60 characters).")), Length(max=60)]
    )
    phone = StringField(_l("Mobile phone (optional)"), validators=[Optional(), Length(max=20)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Please choose a password.")), Length(max=128)]
    )


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Please enter your current password.")), Length(max=128)]
    )
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Please choose a password.")), Length(max=128)]
    )


class DecisionForm(BaseForm):
    """An empty form: carries the CSRF token for approve/reject buttons."""


class EmptyForm(BaseForm):
    """An empty form: carries the CSRF token for a one-button action."""
