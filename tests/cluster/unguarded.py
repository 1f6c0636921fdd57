"""The control's app servers: gunicorn tests.cluster.unguarded:app.

The same app with the guard switched off from the test side: every GuardedCounter.add ignores
its limit (the naive "checked before, then add"), after a pause that widens the window between
the read-only precheck and the write as a busy server would. Production code has no switch.
"""

import time

from booking.database import GuardedCounter

_guarded_add = GuardedCounter.add


def _unguarded_add(self, amount, limit, **key):
    time.sleep(0.3)
    return _guarded_add(self, amount, None, **key)


GuardedCounter.add = _unguarded_add

from wsgi import app  # noqa: E402,F401  (built after the patch: the servers' app)
