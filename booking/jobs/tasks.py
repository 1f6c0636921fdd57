"""The jobs. Each calls a service; add new ones here (helpers' purge jobs included).

@periodic(crontab(minute="*"))       # once a minute, across all runners
def my_job(): return services.do_it()
"""

from huey import crontab

from .runner import huey, periodic  # noqa: F401  (huey_consumer booking.jobs.tasks.huey)


@periodic(crontab(minute="*"))
def release_no_shows():
    """Bookings past their check-in window: no_show (or expired pending), places freed."""
    from ..reservations.services import release_no_shows as run

    return run()


@periodic(crontab(minute="*"))
def expire_offers():
    """Waitlist offers not accepted in time: the held place passes to the next in line."""
    from ..waitlist.services import expire_offers as run

    return run()


@periodic(crontab(minute="*"))
def run_draws():
    """Draws whose time has come: each runs exactly once (winners booked, the rest waitlisted)."""
    from ..draw.services import run_due

    return run_due()


@periodic(crontab(minute="17"))
def purge_idempotency_keys():
    """Idempotency keys older than 24 h (already ignored) are deleted, once an hour."""
    from ..idempotency.services import purge

    return purge()


@huey.periodic_task(crontab(minute="*"), name="deliver_notifications")
def deliver_notifications(period: str | None = None):
    """Every runner works the outbox each minute (no period claim: the outbox's own claims
    keep each message to one runner). `period` is stamped on every periodic task; unused."""
    from ..delivery.send import deliver_due
    from .runner import _in_app_context

    return _in_app_context(deliver_due)()


@periodic(crontab(minute="*"))
def queue_notifications():
    """Reminders before bookings, the staff's digest of pending approvals, ended suspensions,
    waitlist offers about to run out."""
    from ..delivery import events

    return {
        "reminders": events.queue_reminders(),
        "digests": events.queue_pending_digests(),
        "suspension_ends": events.queue_suspension_ends(),
        "offers_expiring": events.queue_offer_reminders(),
    }
