"""Imports every model so SQLAlchemy and Alembic see the whole schema."""

# ruff: noqa: F401 (imported to be registered, not used here)
from .accounts.models import ApiToken, LoginAttempt, RoleGrant, User, UserSession
from .audit.models import AuditEntry
from .cache import CacheScope
from .checkin.models import CheckinEvent, HostCheckinSetting, ScannerContact, SigningKey
from .draw.models import Application, Draw
from .facilities.models import Blackout, Facility, OpeningHours, Venue
from .feeds.models import CalendarFeed
from .idempotency.models import IdempotencyKey
from .notifications.models import NotificationSettings, OutboxMessage, PushSubscription
from .organizations.models import Organization
from .quotas.models import (
    EnterpriseWeekUsage,
    NoShowPolicy,
    SharingAgreement,
    Suspension,
    WorkerWeekUsage,
    agreement_facilities,
)
from .reservations.models import Notification, Reservation, SlotLoad
from .waitlist.models import WaitlistEntry, WaitlistSettings
