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
