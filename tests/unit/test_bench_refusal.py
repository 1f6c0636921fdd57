"""`make bench` refuses a run that measured a failure instead of printing a ratio from it."""

import pytest

from tests.bench.run import RunRefused, median_round, refuse_unusable


def run(requests=40000, seconds=10.0, statuses=None, socket_errors=None):
    return {
        "requests": requests,
        "seconds": seconds,
        "rps": requests / seconds,
        "statuses": statuses or {"200": requests},
        "socket_errors": socket_errors or {},
    }


def test_a_sound_ceiling_run_passes():
    refuse_unusable("hello", run(), ceiling=True)


def test_the_broken_ceiling_of_issue_12_is_refused():
    """/healthz answered 15 requests in 5 s at 12 workers: once reported as 156,931 % — MET."""
    with pytest.raises(RunRefused, match="15 requests in 5.0 s"):
        refuse_unusable("healthz", run(requests=15, seconds=5.0), ceiling=True)


def test_timeouts_or_errors_refuse_any_run():
    with pytest.raises(RunRefused, match="timeout"):
        refuse_unusable("availability", run(socket_errors={"timeout": 3}), ceiling=False)


def test_a_ceiling_with_non_2xx_answers_is_refused():
    with pytest.raises(RunRefused, match="non-2xx"):
        refuse_unusable("baseline", run(statuses={"201": 39000, "500": 1000}), ceiling=True)


def test_a_slow_app_run_is_a_figure_not_a_failure():
    refuse_unusable("success", run(requests=300, statuses={"201": 300}), ceiling=False)


def test_a_kind_reports_its_median_round():
    rounds = [run(requests=n) for n in (30000, 41000, 12000)]
    assert median_round(rounds) is rounds[0]  # 3,000 req/s: between 1,200 and 4,100
    assert median_round(rounds[:2]) is rounds[0]  # an even count: the lower middle
    assert median_round([rounds[2]]) is rounds[2]
