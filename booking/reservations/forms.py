"""Worker booking forms (Flask-WTF: CSRF on every one). Business checks stay in services.py."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import ValidationError

from ..forms import ActionForm as ActionForm  # one empty form for every button (booking.forms)
from ..forms import BaseForm


def whole_number(text, max_digits: int) -> bool:
    """ASCII digits only: str.isdigit() also accepts "²", which int() refuses."""
    return bool(text) and len(text) <= max_digits and text.isascii() and text.isdigit()


class SlotForm(BaseForm):
    """A form about one slot (book it, join its line, apply for its draw): the slot and the party."""

    facility_id = HiddenField()
    start = HiddenField()
    # Text, not IntegerField: its own error message is English-only. The range (1..capacity)
    # is the service's rule, so it is checked there.
    party_size = StringField(
        _l("How many people"), default="1", render_kw={"inputmode": "numeric", "autocomplete": "off"}
    )

    def party(self) -> int | str:
        """The party size; the text itself when it is not a whole number (the service refuses it)."""
        text = (self.party_size.data or "1").strip()
        return int(text) if whole_number(text, 4) else text


class BookingForm(SlotForm):
    def validate_party_size(self, field):
        text = (field.data or "").strip()
        if not whole_number(text, 4):
            raise ValidationError(_l("The party size must be a whole number."))
