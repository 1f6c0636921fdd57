"""Imports every model so SQLAlchemy and Alembic see the whole schema."""
from .accounts.models import ApiToken, LoginAttempt, RoleGrant, User, UserSession  # noqa: F401
from .audit.models import AuditEntry  # noqa: F401
from .cache import CacheScope  # noqa: F401
from .checkin.models import CheckinEvent, HostCheckinSetting, ScannerContact, SigningKey  # noqa: F401
from .feeds.models import CalendarFeed  # noqa: F401
from .idempotency.models import IdempotencyKey  # noqa: F401
from .facilities.models import Blackout, Facility, OpeningHours, Venue  # noqa: F401
from .organizations.models import Organization  # noqa: F401
from .quotas.models import (EnterpriseWeekUsage, NoShowPolicy, SharingAgreement, Suspension,  # noqa: F401
                            WorkerWeekUsage, agreement_facilities)
from .reservations.models import Notification, Reservation, SlotLoad  # noqa: F401
from .waitlist.models import WaitlistEntry, WaitlistSettings  # noqa: F401
from .notifications.models import NotificationSettings, OutboxMessage, PushSubscription  # noqa: F401
from .draw.models import Application, Draw  # noqa: F401
