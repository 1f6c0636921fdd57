"""The scanner's offline rule (static/js/scan.js `judge`), in real Chromium, against the same table
of cases the server's rule is held to (tests/checkin_window_cases.json,
tests/unit/test_checkin_window_table.py)."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
CASES = json.loads((ROOT / "tests" / "checkin_window_cases.json").read_text("utf-8"))["cases"]

pytestmark = pytest.mark.e2e


def test_scan_js_answers_as_the_table_says(browser):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.set_content("<!doctype html><title>rules</title>")
        page.add_script_tag(path=str(ROOT / "static" / "js" / "scan.js"))
        answers = page.evaluate(
            """cases => cases.map(c => window.svCheckinRules.judge(
            c.status, Date.parse(c.opens), Date.parse(c.closes), Date.parse(c.now)))""",
            CASES,
        )
    finally:
        context.close()
    assert {c["name"]: a for c, a in zip(CASES, answers)} == {c["name"]: c["expected"] for c in CASES}
