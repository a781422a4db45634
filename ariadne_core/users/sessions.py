"""Logins and the check of a token on every request.

A token is good while its user exists, is active and still has the token version the
token was issued for; the role that counts is the user's role now. What the check reads
is kept in the catalog cache until the users table changes (a trigger announces it on
`ariadne_catalog`, migration 0007), so the read path stays a dictionary look-up.

Login runs argon2 on a small pool of its own, so a flood of logins cannot take the
threads that serve reads; a bounded number of logins wait for it, the rest get 429.
Attempts are limited per client address and failures per account.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from ariadne_core.catalog.generation import GenerationCache
from ariadne_core.config import Settings
from ariadne_core.db.models import UserRole
from ariadne_core.db.plans import Plan, PlanRunner
from ariadne_core.errors import AuthenticationFailed, TooManyRequests
from ariadne_core.security.passwords import DUMMY_HASH, verify_password
from ariadne_core.security.ratelimit import Counters
from ariadne_core.security.tokens import IssuedToken, TokenClaims, issue_token

ENDED = (
    "Your session has ended: you logged out, or an administrator changed or deactivated "
    "your account. Log in again."
)
WRONG = "The e-mail or password is wrong."


@dataclass(frozen=True)
class Account:
    email: str
    role: UserRole
    token_version: int
    is_active: bool
    password_hash: str = ""


_MISSING = Account("", UserRole.VIEWER, -1, False)


def account_plan(email: str) -> Plan[Account | None]:
    row = yield (
        "SELECT email, role::text, token_version, is_active, password_hash "
        "FROM users WHERE email = %(email)s",
        {"email": email},
    )
    if row is None:
        return None
    return Account(row[0], UserRole(row[1]), int(row[2]), bool(row[3]), str(row[4]))


async def current_account(
    claims: TokenClaims, reader: PlanRunner, cache: GenerationCache
) -> Account:
    """The account behind a verified token, or AuthenticationFailed when the token was
    revoked (logout, role change, deactivation) or its user is gone."""
    key = ("account", claims.subject)
    generation, account = cache.lookup(key)
    if account is None:
        found = await reader.run(lambda: account_plan(claims.subject))
        # what is kept in memory: never the password hash
        account = _MISSING if found is None else replace(found, password_hash="")
        cache.store(key, generation, account, 256)
    if account is _MISSING or not account.is_active:
        raise AuthenticationFailed(ENDED)
    if account.token_version != claims.version:
        raise AuthenticationFailed(ENDED)
    return account


class Logins:
    """Password logins, bounded in rate and in the CPU they may take."""

    def __init__(self, settings: Settings, counters: Counters, *, hash_threads: int = 2) -> None:
        self.settings = settings
        self.counters = counters
        self._pool = ThreadPoolExecutor(hash_threads, thread_name_prefix="ariadne-login")
        self._waiting = 0
        self._max_waiting = settings.login_max_pending

    async def login(
        self, reader: PlanRunner, *, email: str, password: str, client: str | None
    ) -> IssuedToken:
        from ariadne_core.users.service import normalize_email

        email = normalize_email(email)
        window = self.settings.login_window_seconds
        address_key = f"login:addr:{client or 'unknown'}"
        account_key = f"login:acct:{email}"
        attempts, left = await self.counters.hit(address_key, window)
        if attempts > self.settings.login_attempts_per_address:
            raise TooManyRequests(
                "Too many login attempts from your address. Wait and try again.",
                retry_after=left,
            )
        failures, left = await self.counters.count(account_key)
        if failures >= self.settings.login_failures_per_account:
            raise TooManyRequests(
                "Too many failed logins for this account. Wait and try again, or ask an "
                "administrator to reset the password.",
                retry_after=left,
            )
        account = await reader.run(lambda: account_plan(email))
        # Unknown and inactive users pay for one hash too, so timing tells nothing.
        usable = account is not None and account.is_active
        stored = account.password_hash if usable and account else DUMMY_HASH
        ok = await self._hash(verify_password, stored, password) and usable
        if not ok or account is None:
            await self.counters.hit(account_key, window)
            raise AuthenticationFailed(WRONG)
        await self.counters.reset(account_key)
        return issue_token(
            self.settings,
            subject=account.email,
            role=account.role.value,
            version=account.token_version,
        )

    async def _hash(self, fn: Callable[..., bool], *args: Any) -> bool:
        if self._waiting >= self._max_waiting:
            raise TooManyRequests(
                "Too many logins are being checked at once. Try again in a moment.",
                retry_after=1,
            )
        self._waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        finally:
            self._waiting -= 1
