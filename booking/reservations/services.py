"""The reservation use cases, one module each; this is the package's one door to them.

booking.py    book: the plan, then one guarded write transaction
series.py     book_series, list/pause/cancel a weekly team series
decisions.py  cancel, host_cancel, approve/reject (decide): places and quota given back
no_shows.py   release_no_shows: after the check-in window
queries.py    one booking, lists, the staff's queue and day schedule, notifications
"""

from .booking import book
from .decisions import cancel, cancel_as, decide, decide_many, host_cancel
from .no_shows import release_no_shows
from .queries import (
    day_schedule,
    get_for,
    list_for,
    mark_notifications_read,
    notifications_for,
    pending_queue,
    unread_count,
)
from .series import book_series, cancel_series, get_series, list_series, pause_series
from .series import skipped as series_skipped

__all__ = [
    "book",
    "book_series",
    "cancel_series",
    "get_series",
    "list_series",
    "pause_series",
    "series_skipped",
    "cancel",
    "cancel_as",
    "decide",
    "decide_many",
    "host_cancel",
    "release_no_shows",
    "day_schedule",
    "get_for",
    "list_for",
    "mark_notifications_read",
    "notifications_for",
    "pending_queue",
    "unread_count",
]
