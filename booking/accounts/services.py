"""Account use cases: sign-in, registration with an invite code, join approval, API tokens."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit import services as audit
from ..database import write_transaction
from ..errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Unauthorized
from ..extensions import db
from ..organizations.models import Organization
from ..timeutil import utcnow
from . import limits, passwords, rules, sessions
from .models import ApiToken, RoleGrant, User
from .principal import principal_and_rows, principal_for_digest

# Hash checked when the username is unknown, so a miss costs as much time as a wrong password.
_DUMMY_HASH = None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def load_user(session_token: str) -> User | None:
    """Flask-Login's user loader: the cookies carry a sign-in's token, live only until it ends."""
    return sessions.load(session_token)


def find_by_identifier(identifier: str) -> User | None:
    """A user by username or by phone number."""
    ident = identifier.strip() if isinstance(identifier, str) else ""
    if not ident:
        return None
    if rules.looks_like_phone(ident):
        user = db.session.scalar(select(User).where(User.phone == rules.normalize_phone(ident)))
        if user:
            return user
    return db.session.scalar(select(User).where(User.username == rules.normalize_username(ident)))


def authenticate(identifier: str, password: str, now=None) -> User:
    """The user whose credentials these are, or Invalid; pending/rejected accounts are told why.

    Every attempt counts against the account's sign-in limit first (TooManyAttempts, 429).
    """
    global _DUMMY_HASH
    user = find_by_identifier(identifier)
    limits.count_attempt(limits.account_key(identifier, user.id if user else None), now or utcnow())
    password = password if isinstance(password, str) else ""
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_hex(8))
        check_password_hash(_DUMMY_HASH, password or "")
        raise Unauthorized(_l("Wrong username or password."), code="bad_credentials")
    if not check_password_hash(user.password_hash, password or ""):
        raise Unauthorized(_l("Wrong username or password."), code="bad_credentials")
    if user.status == "pending":
        raise Forbidden(_l("Your account is waiting for your enterprise's approval."), code="pending_approval")
    if user.status != "active":
        raise Forbidden(_l("This account is not active."), code="inactive")
    return user


def validate_password(password: str, username: str | None = None, phone: str | None = None) -> None:
    passwords.check(password, username, phone)


def bad_username() -> Invalid:
    return Invalid(
        _l("A username has 3 to 40 letters, digits, dots, dashes or underscores."),
        code="bad_username",
        field="username",
    )


def _bad_name() -> Invalid:
    return Invalid(_l("Please give your name (at most 60 characters)."), code="bad_name", field="display_name")


def _bad_phone() -> Invalid:
    return Invalid(_l("That is not a mobile phone number."), code="bad_phone", field="phone")


def _bad_invite_code() -> Invalid:
    return Invalid(
        _l("Unknown invite code. Ask your enterprise's union contact for it."),
        code="bad_invite_code",
        field="invite_code",
    )


def username_taken() -> Conflict:
    return Conflict(_l("That username is taken."), code="username_taken", field="username")


def _phone_taken() -> Conflict:
    return Conflict(_l("That phone number is already registered."), code="phone_taken", field="phone")


def _enterprise_by_code(code: str) -> Organization | None:
    return (
        db.session.scalar(
            select(Organization).where(Organization.invite_code == code, Organization.kind == "enterprise")
        )
        if code
        else None
    )


def registration_problems(username, display_name, password, invite_code, phone=None) -> list[DomainError]:
    """Every problem register() would find, one per field, all at once (register stops at the
    first): a form shows them together in one submit. Reads only; empty when register() would
    take these values (barring a concurrent registration)."""
    out: list[DomainError] = []
    username = rules.normalize_username(username if isinstance(username, str) else "")
    if not rules.is_valid_username(username):
        out.append(bad_username())
    elif db.session.scalar(select(User.id).where(User.username == username)):
        out.append(username_taken())
    if not 1 <= len((display_name if isinstance(display_name, str) else "").strip()) <= 60:
        out.append(_bad_name())
    phone = rules.normalize_phone(phone) if isinstance(phone, str) and phone else None
    try:
        validate_password(password, username, phone)
    except DomainError as err:
        out.append(err)
    if phone and not rules.is_valid_phone(phone):
        out.append(_bad_phone())
    elif phone and db.session.scalar(select(User.id).where(User.phone == phone)):
        out.append(_phone_taken())
    if _enterprise_by_code((invite_code if isinstance(invite_code, str) else "").strip().upper()) is None:
        out.append(_bad_invite_code())
    return out


def register(username: str, display_name: str, password: str, invite_code: str, phone: str | None = None) -> User:
    """A worker asks to join an enterprise with its invite code; pending until its admin approves."""
    username = rules.normalize_username(username)
    if not rules.is_valid_username(username):
        raise bad_username()
    display_name = (display_name or "").strip()
    if not 1 <= len(display_name) <= 60:
        raise _bad_name()
    phone = rules.normalize_phone(phone) if phone else None
    validate_password(password, username, phone)
    if phone and not rules.is_valid_phone(phone):
        raise _bad_phone()
    code = (invite_code or "").strip().upper()
    password_hash = hash_password(password)  # slow: keep it out of the write transaction

    try:
        with write_transaction():
            enterprise = _enterprise_by_code(code)
            if enterprise is None:
                raise _bad_invite_code()
            if db.session.scalar(select(User.id).where(User.username == username)):
                raise username_taken()
            if phone and db.session.scalar(select(User.id).where(User.phone == phone)):
                raise _phone_taken()
            user = User(
                username=username,
                display_name=display_name,
                phone=phone,
                password_hash=password_hash,
                enterprise_id=enterprise.id,
                status="pending",
            )
            db.session.add(user)
    except IntegrityError:  # at commit: a concurrent registration took the name or phone first
        raise username_taken() from None
    return user


def join_requests(admin: User) -> list[User]:
    """Pending workers of the enterprises this admin runs, oldest first."""
    orgs = admin.org_ids("enterprise_admin")
    if not orgs:
        raise Forbidden()
    return list(
        db.session.scalars(
            select(User)
            .where(User.enterprise_id.in_(orgs), User.status == "pending")
            .order_by(User.created_at, User.id)
        )
    )


def decide_join(admin: User, user_id: int, approve: bool) -> User:
    orgs = admin.org_ids("enterprise_admin")
    if not orgs:
        raise Forbidden()
    with write_transaction():
        user = db.session.get(User, user_id)
        if user is None or user.enterprise_id not in orgs:
            raise NotFound()
        if user.status != "pending":
            raise Conflict(_l("This request was already decided."), code="already_decided")
        user.status = "active" if approve else "rejected"
        user.decided_at = utcnow()
        audit.record(
            admin,
            "member.approve" if approve else "member.reject",
            "user",
            user.id,
            enterprise_id=user.enterprise_id,
            before={"status": "pending"},
            after={"status": user.status},
        )
        if approve:
            from ..notifications.services import notify

            notify(user.id, "join_approved", {"enterprise": user.enterprise.name if user.enterprise else ""})
    return user


def set_locale(user: User, locale: str) -> None:
    with write_transaction():
        db.session.get(User, user.id).locale = locale


def grant(user: User, role: str, organization: Organization) -> None:
    """Give a role scoped to an organization (no commit: callers are seeding or admin use cases)."""
    if not any(g.role == role and g.organization_id == organization.id for g in user.grants):
        user.grants.append(RoleGrant(role=role, organization_id=organization.id))


# --- the signed-in person's own account -------------------------------------------------------


def change_password(user: User, current: str, new: str) -> bool:
    """Change one's password: every sign-in and API token of the account ends, and this device
    gets a new sign-in (user.session_token; returns whether it is remembered, as the old one was).
    Guessing the current password counts against the account's sign-in limit."""
    limits.count_attempt(limits.account_key(user.username, user.id), utcnow())
    if not check_password_hash(user.password_hash, current if isinstance(current, str) else ""):
        raise Invalid(_l("Your current password is not right."), code="bad_credentials", field="current_password")
    validate_password(new, user.username, user.phone)
    password_hash = hash_password(new)  # slow: keep it out of the write transaction
    with write_transaction():
        now = utcnow()
        row = db.session.get(User, user.id)
        row.password_hash = password_hash
        remember = sessions.remembered(user.session_token)
        sessions.end_all(user.id, now, api_tokens=True)
        token = sessions.add(row, remember, now)
    user.session_token = token
    return remember


def sign_out_everywhere(user: User) -> None:
    """End every sign-in of this person, on every device, and their API tokens."""
    with write_transaction():
        sessions.end_all(user.id, utcnow(), api_tokens=True)


def disable_account(user_id: int) -> User:
    """Disable an account (an admin use case calls it after its own permission checks): it can no
    longer sign in, and every sign-in and API token of it ends."""
    with write_transaction():
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound()
        user.status = "disabled"
        sessions.end_all(user.id, utcnow(), api_tokens=True)
    return user


# --- API bearer tokens --------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(identifier: str, password: str) -> str:
    user = authenticate(identifier, password)
    token = secrets.token_urlsafe(32)
    with write_transaction():
        db.session.add(
            ApiToken(
                user_id=user.id,
                token_hash=_digest(token),
                expires_at=utcnow() + timedelta(days=current_app.config["API_TOKEN_DAYS"]),
            )
        )
    return token


def user_for_token(token: str):
    """The Principal a bearer token speaks for, or None (unknown, revoked, expired, inactive)."""
    if not token or len(token) > 200:
        return None
    return principal_for_digest(_digest(token), utcnow())


def user_and_rows(token: str, statement, **params):
    """user_for_token(token), and the rows of a principal.with_caller() `statement`'s parts read
    in the same round trip: (Principal or None, rows). No token: nothing is read."""
    if not token or len(token) > 200:
        return None, []
    return principal_and_rows(statement, _digest(token), utcnow(), **params)


def revoke_token(token: str) -> bool:
    with write_transaction():
        row = db.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None))
        )
        if row is None:
            return False  # nothing written: the empty transaction commits
        row.revoked_at = utcnow()
    return True
