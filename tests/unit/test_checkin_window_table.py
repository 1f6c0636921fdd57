"""The server's side of the shared check-in table (tests/checkin_window_cases.json): the window
rule (facilities.rules.checkin_window) and the scan's answer (checkin.services._result_for).
The scanner's offline rule (static/js/scan.js) runs the same table in Chromium:
tests/e2e/test_checkin_window_table.py."""

import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from booking.checkin.services import _result_for
from booking.facilities.rules import checkin_window

CASES = json.loads((Path(__file__).parents[1] / "checkin_window_cases.json").read_text("utf-8"))["cases"]


def test_the_table_covers_every_answer_and_both_edges():
    assert {c["expected"] for c in CASES} == {
        "ok",
        "too_early",
        "too_late",
        "already_checked_in",
        "cancelled",
        "not_approved",
    }
    assert any(c["now"] == c["opens"] and c["expected"] == "ok" for c in CASES)
    assert any(c["now"] == c["closes"] and c["expected"] == "ok" for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_server_rules_answer_as_the_table_says(case):
    start = datetime.fromisoformat(case["start"])
    window = checkin_window(start, case["before"], case["after"])
    assert window == (datetime.fromisoformat(case["opens"]), datetime.fromisoformat(case["closes"]))
    booking = SimpleNamespace(
        status=case["status"],
        start_at=start,
        facility=SimpleNamespace(checkin_before_minutes=case["before"], checkin_after_minutes=case["after"]),
    )
    assert _result_for(booking, datetime.fromisoformat(case["now"])) == case["expected"]
