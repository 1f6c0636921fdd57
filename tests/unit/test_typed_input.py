from werkzeug.datastructures import ImmutableMultiDict

from booking.typed_input import _plain_dict


def test_plain_input_is_kept_as_it_came():
    data = ImmutableMultiDict([("date", "2026-12-01"), ("kind", "gym"), ("kind", "court")])
    assert _plain_dict(data) is data


def test_a_wide_value_among_several_of_one_key_is_made_plain():
    data = ImmutableMultiDict([("time", "18:00"), ("time", "１８：３０"), ("name", "张三")])
    out = _plain_dict(data)
    assert out.getlist("time") == ["18:00", "18:30"]
    assert out["name"] == "张三"
