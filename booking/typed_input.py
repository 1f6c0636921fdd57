"""What people type on a Chinese keyboard: full-width digits and punctuation ("18：00－22：00",
"１３８ ０００"), made plain before any form or query is read, so every time, date and phone field
accepts them. Only values made of digits and time/date/phone punctuation are touched: names and
free text keep their full-width characters, and passwords are never changed.
"""

import re

from flask import Flask, request
from werkzeug.datastructures import ImmutableMultiDict

# U+FF01..U+FF5E are ASCII shifted by 0xFEE0; the ideographic space is a space.
_WIDE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDE[0x3000] = 0x20
_DASHES = {ord("－"): "-", ord("—"): "-", ord("–"): "-", ord("―"): "-", ord("～"): "~", ord("〜"): "~"}
# digits, separators of times, dates, phones and periods (both widths), the words 至/到 and spaces
_TYPED_CHAR = r"[0-9０-９:：\-－—–―~～〜/／.．,，、;；+＋()（）至到\s　]"
_LOOKS_TYPED = re.compile(rf"^{_TYPED_CHAR}*[0-9０-９]{_TYPED_CHAR}*$")
_NEVER = ("password", "csrf_token", "code", "reason", "idempotency")


def plain(value: str) -> str:
    """ "１８：００－２２：００" -> "18:00-22:00"; anything that is not a time/date/phone as it was."""
    if not value or not _LOOKS_TYPED.match(value) or value.isascii():
        return value
    return value.translate(_WIDE).translate(_DASHES)


def _plain_dict(data):
    if not data:
        return data
    if all(v.isascii() for _, v in data.items(multi=True) if isinstance(v, str)):
        return data  # nothing typed wide (the usual case, every API call): no copy
    items = [
        (k, v if any(n in k.lower() for n in _NEVER) or not isinstance(v, str) else plain(v))
        for k, v in data.items(multi=True)
    ]
    return ImmutableMultiDict(items)


def register(app: Flask) -> None:
    @app.before_request
    def _plain_typed_input():
        if request.args:
            request.args = _plain_dict(request.args)
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            request.form = _plain_dict(request.form)
