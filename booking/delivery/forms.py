"""The notification settings form (the service checks the values and says what is wrong)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField


class SettingsForm(FlaskForm):
    email = EmailField(_l("Email address"))
    email_on = BooleanField(_l("Email"))
    push_on = BooleanField(_l("Notifications on this phone"))
    wecom_on = BooleanField(_l("WeCom messages"))
    wecom_user = StringField(_l("WeCom account (leave empty if it is your username here)"))
    reminder_minutes = StringField(_l("Remind me this many minutes before a booking (0: never)"))
    quiet_start = StringField(_l("Quiet from"))
    quiet_end = StringField(_l("Quiet until"))


class ButtonForm(FlaskForm):
    """An empty form: the CSRF token for a button."""
