"""booking.inputs.JSONProvider writes with orjson what Flask's own provider writes."""

import json
from datetime import date, datetime, timezone
from decimal import Decimal

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_babel import Babel, lazy_gettext
from hypothesis import given
from hypothesis import strategies as st

from booking.inputs import JSONProvider


def providers(debug=False):
    app = Flask(__name__)
    app.debug = debug
    Babel(app)
    ours, flasks = JSONProvider(app), DefaultJSONProvider(app)
    ours.sort_keys = flasks.sort_keys = False  # as create_app sets it
    return app, ours, flasks


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.datetimes(timezones=st.just(timezone.utc))
    | st.dates()
    | st.decimals(allow_nan=False, allow_infinity=False)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text() | st.integers(min_value=-1000, max_value=1000), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(values)
def test_it_writes_what_flask_writes(value):
    _app, ours, flasks = providers()
    assert json.loads(ours.dumps(value)) == json.loads(flasks.dumps(value))


def test_a_response_is_compact_utf8_with_flasks_newline_and_mimetype():
    app, ours, flasks = providers()
    with app.app_context():
        r = ours.response({"name": "羽毛球场", "at": datetime(2026, 12, 8, 11, 0, tzinfo=timezone.utc)})
    assert r.mimetype == "application/json"
    assert r.get_data() == '{"name":"羽毛球场","at":"Tue, 08 Dec 2026 11:00:00 GMT"}\n'.encode()


def test_what_orjson_cannot_write_is_written_by_flask():
    app, ours, flasks = providers()
    big = {"n": 2**70, "d": Decimal("1.50"), "day": date(2026, 12, 8)}
    assert ours.dumps(big) == flasks.dumps(big)
    with app.app_context():
        assert ours.response(big).get_data() == flasks.response(big).get_data()


def test_a_lazy_string_is_written_as_its_text():
    app, ours, flasks = providers()
    with app.test_request_context():
        assert json.loads(ours.dumps({"m": lazy_gettext("Closed")})) == {"m": "Closed"}


def test_options_and_debug_answers_are_flasks_own():
    app, ours, flasks = providers(debug=True)
    with app.app_context():
        assert ours.response({"a": [1, 2]}).get_data() == flasks.response({"a": [1, 2]}).get_data()
    assert ours.dumps({"a": 1}, indent=2) == flasks.dumps({"a": 1}, indent=2)
