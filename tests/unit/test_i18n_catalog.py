"""Every user-facing string has a Chinese translation, with the same placeholders."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHODS = [("booking/**.py", "python"), ("templates/**.html", "jinja2")]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def extracted() -> dict:
    found = {}
    for filename, _lineno, message, _comments, _ctx in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {}}
    ):
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            found.setdefault(msgid, filename)
    return found


def catalog():
    with open(ROOT / "booking/translations/zh/LC_MESSAGES/messages.po", "rb") as f:
        return read_po(f, locale="zh_CN")


def test_strings_are_extracted_from_code_and_templates():
    found = extracted()
    assert "Sign in" in found and "Wrong username or password." in found


def test_every_string_has_a_chinese_translation():
    cat = catalog()
    missing = []
    for msgid, where in sorted(extracted().items()):
        msg = cat.get(msgid)
        text = (msg.string if isinstance(msg.string, str) else msg.string[0]) if msg else ""
        if not text or (msg and msg.fuzzy):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, "untranslated (run `make i18n-extract`, then translate):\n" + "\n".join(missing)


def test_translations_keep_their_placeholders():
    for msg in catalog():
        if not msg.id or not msg.string:
            continue
        src = msg.id if isinstance(msg.id, str) else msg.id[0]
        dst = msg.string if isinstance(msg.string, str) else msg.string[0]
        assert sorted(PLACEHOLDER.findall(src)) == sorted(PLACEHOLDER.findall(dst)), src
