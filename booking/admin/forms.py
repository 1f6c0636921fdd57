"""Admin forms (Flask-WTF: CSRF on every one). They parse text into values; the services check them."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from ..facilities.models import KINDS as FACILITY_KINDS
from ..filters import kind_label
from ..forms import ActionForm as ActionForm  # one of each (booking.forms)
from ..forms import BaseForm
from ..forms import put_error as put_error
from ..inputs import id_or_none, whole_in_range
from ..organizations.models import KINDS as ORG_KINDS
from ..timeutil import DEFAULT_TIMEZONE
from . import hours as hours_rules

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"), _l("Sunday"))
ORG_KIND_LABELS = {
    "federation": _l("Union federation"),
    "community_union": _l("Community union"),
    "joint_union": _l("Joint union"),
    "enterprise": _l("Enterprise"),
    "community_centre": _l("Community centre"),
}
ROLE_CHOICES = {
    "host_staff": _l("Host staff"),
    "host_admin": _l("Host admin"),
    "enterprise_admin": _l("Enterprise admin"),
}


class WholeNumber(IntegerField):
    """An integer field whose parse error is ours (translated), not WTForms'."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            self.data = whole_in_range(valuelist[0])  # past the columns' range: not a number we take
            if self.data is None:
                raise ValueError(str(_l("Enter a whole number.")))
        else:
            self.data = None


class ClockTime(TimeField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("Enter a time like 08:00."))) from None


def put_errors(form, errors, aliases: dict | None = None) -> None:
    """put_error for each of a service's problems (facility_problems, venue_problems)."""
    for err in errors:
        put_error(form, err, aliases)


def _unchecked(form, values: dict, aliases: dict | None = None) -> dict:
    """The values whose fields parsed without an error: those the service checks next."""

    def clean(name):
        field = getattr(form, (aliases or {}).get(name, name), None)
        return field is None or not field.errors

    return {name: value for name, value in values.items() if clean(name)}


def _required(message=None):
    return InputRequired(message or _l("This field is required."))


class ImpactFields:
    """What to do with the bookings a change hits, asked once the change is known to hit some."""

    on_affected = RadioField(
        _l("The bookings listed"),
        choices=[
            SelectChoice("cancel", _l("Cancel them and tell the workers why")),
            SelectChoice("keep", _l("Keep them (where they may stay)")),
        ],
        validators=[Optional()],
    )
    notice = TextAreaField(_l("Reason (the workers will see it)"), validators=[Optional(), Length(max=255)])

    def impact_choice(self) -> str:
        return self.on_affected.data if self.on_affected.data in ("cancel", "keep") else "ask"


class VenueForm(BaseForm, ImpactFields):
    name = StringField(_l("Venue name"), validators=[_required(), Length(max=120)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=255)])
    timezone = StringField(_l("Time zone"), default=DEFAULT_TIMEZONE, validators=[_required(), Length(max=64)])

    def values(self) -> dict:
        return {"name": self.name.data, "address": self.address.data or "", "timezone": self.timezone.data}

    def values_to_check(self) -> dict:
        return _unchecked(self, self.values())


class FacilityForm(BaseForm, ImpactFields):
    name = StringField(_l("Name"), validators=[_required(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, "") for k in FACILITY_KINDS], validators=[_required()])
    capacity = WholeNumber(_l("Capacity (1 = booked whole, like a court)"), default=1, validators=[_required()])
    slot_minutes = WholeNumber(_l("Slot length (minutes)"), default=60, validators=[_required()])
    requires_approval = BooleanField(_l("Bookings need approval by staff"))
    window_days = WholeNumber(_l("Bookable days ahead"), default=7, validators=[_required()])
    window_opens = ClockTime(_l("Booking opens at (local time)"), default=None, validators=[_required()])
    min_notice_minutes = WholeNumber(_l("Minimum notice (minutes)"), default=30, validators=[_required()])
    cancel_cutoff_minutes = WholeNumber(
        _l("Workers may cancel until (minutes before)"), default=120, validators=[_required()]
    )
    checkin_before_minutes = WholeNumber(_l("Check-in opens (minutes before)"), default=15, validators=[_required()])
    checkin_after_minutes = WholeNumber(_l("Check-in closes (minutes after)"), default=15, validators=[_required()])
    allocation = SelectField(
        _l("How places are given"),
        choices=[
            SelectChoice("first_come", _l("First come, first served")),
            SelectChoice("draw", _l("A fair draw before the day")),
        ],
        default="first_come",
    )
    draw_days_before = WholeNumber(_l("Draw: days before the slot"), default=2, validators=[Optional()])
    draw_time = ClockTime(_l("Draw at (local time)"), default=None, validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    hours_0 = StringField(WEEKDAYS[0])
    hours_1 = StringField(WEEKDAYS[1])
    hours_2 = StringField(WEEKDAYS[2])
    hours_3 = StringField(WEEKDAYS[3])
    hours_4 = StringField(WEEKDAYS[4])
    hours_5 = StringField(WEEKDAYS[5])
    hours_6 = StringField(WEEKDAYS[6])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k, kind_label(k)) for k in FACILITY_KINDS]

    def hour_fields(self):
        return [getattr(self, f"hours_{d}") for d in range(7)]

    def fill_hours(self, week: dict) -> None:
        for d, f in enumerate(self.hour_fields()):
            f.data = hours_rules.format_day(week.get(d, []))

    def parse_hours(self) -> dict | None:
        """The week typed in, or None after putting a message on each weekday that is wrong."""
        week, ok = {}, True
        for d, f in enumerate(self.hour_fields()):
            try:
                week[d] = hours_rules.parse_day(f.data)
            except hours_rules.HoursError as err:
                f.errors = [*f.errors, str(err.message)]
                ok = False
        return week if ok else None

    ALIASES = {"hours": "hours_0", "window_opens_minute": "window_opens", "draw_minute": "draw_time"}

    def values_to_check(self, week: dict | None) -> dict:
        """The settings that parsed (hours too, when every day did), for facility_problems."""
        values = _unchecked(self, self.values(week or {}), self.ALIASES)
        if week is None:
            values.pop("hours", None)
        return values

    def values(self, week: dict) -> dict:
        opens, draw = self.window_opens.data, self.draw_time.data
        return {
            "name": self.name.data,
            "kind": self.kind.data,
            "capacity": self.capacity.data,
            "slot_minutes": self.slot_minutes.data,
            "requires_approval": bool(self.requires_approval.data),
            "window_days": self.window_days.data,
            "window_opens_minute": opens.hour * 60 + opens.minute if opens is not None else None,
            "min_notice_minutes": self.min_notice_minutes.data,
            "cancel_cutoff_minutes": self.cancel_cutoff_minutes.data,
            "checkin_before_minutes": self.checkin_before_minutes.data,
            "checkin_after_minutes": self.checkin_after_minutes.data,
            "allocation": self.allocation.data,
            "draw_days_before": 2 if self.draw_days_before.data is None else self.draw_days_before.data,
            "draw_minute": 12 * 60 if draw is None else draw.hour * 60 + draw.minute,
            "description": self.description.data or "",
            "hours": week,
        }


class CheckinSettingsForm(BaseForm):
    offline_max_minutes = WholeNumber(
        _l("Oldest offline scan accepted (minutes)"),
        validators=[_required()],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


class RetireForm(BaseForm, ImpactFields):
    pass


class StaffForm(BaseForm):
    username = StringField(_l("Username"), validators=[_required(), Length(max=40)])
    display_name = StringField(_l("Name"), validators=[_required(), Length(max=60)])
    password = PasswordField(_l("Initial password"), validators=[_required(), Length(max=128)])
    role = SelectField(_l("Role"), choices=[], validate_choice=False)


class GrantForm(BaseForm):
    username = StringField(_l("Username of an existing account"), validators=[_required(), Length(max=40)])
    role = SelectField(_l("Role"), choices=[], validate_choice=False)


class RevokeForm(BaseForm):
    role = HiddenField(validators=[_required()])


def role_choices(roles) -> list:
    return [SelectChoice(r, ROLE_CHOICES[r]) for r in roles]


class OrganizationForm(BaseForm):
    name = StringField(_l("Name"), validators=[_required(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, ORG_KIND_LABELS[k]) for k in ORG_KINDS])
    parent_id = SelectField(_l("Parent union"), choices=[], validate_choice=False)
    headcount = WholeNumber(_l("Headcount"), default=0, validators=[_required()])

    def values(self) -> dict:
        raw = (self.parent_id.data or "").strip()
        parent = id_or_none(raw) if raw else None
        if raw and parent is None:
            parent = raw  # not an id: the service says it is unknown
        return {"name": self.name.data, "kind": self.kind.data, "parent_id": parent, "headcount": self.headcount.data}


class NewOrganizationForm(OrganizationForm):
    venue_name = StringField(_l("First venue (makes it a host; optional)"), validators=[Optional(), Length(max=120)])
    venue_address = StringField(_l("Venue address"), validators=[Optional(), Length(max=255)])
    venue_timezone = StringField(_l("Time zone"), default=DEFAULT_TIMEZONE, validators=[Optional(), Length(max=64)])

    def venue_values(self) -> dict | None:
        if not (self.venue_name.data or "").strip():
            return None
        return {
            "name": self.venue_name.data,
            "address": self.venue_address.data or "",
            "timezone": self.venue_timezone.data or DEFAULT_TIMEZONE,
        }
