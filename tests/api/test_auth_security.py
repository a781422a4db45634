"""Tokens that must not work, revocation, user management, login limits and secret files.

Each test here failed before the security hardening (issue 13)."""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.errors import ConfigurationError, TooManyRequests
from tests.conftest import PASSWORD


def _claims(settings: Settings, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": "admin@example.com",
        "role": "admin",
        "ver": 1,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + timedelta(minutes=10),
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _me(client: TestClient, token: str) -> Any:
    return client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def test_a_complete_token_works(
    client: TestClient, users: dict[str, str], settings: Settings
) -> None:
    token = jwt.encode(_claims(settings), settings.jwt_secret, algorithm="HS256")
    assert _me(client, token).status_code == 200


def _unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, default=lambda d: int(d.timestamp())).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize(
    "case",
    [
        "alg-none",
        "hs512",
        "no-exp",
        "no-sub",
        "no-role",
        "no-ver",
        "wrong-iss",
        "wrong-aud",
        "no-iss",
        "no-aud",
        "ver-not-int",
        "role-unknown",
    ],
)
def test_forged_or_incomplete_tokens_are_401(
    client: TestClient, users: dict[str, str], settings: Settings, case: str
) -> None:
    secret = settings.jwt_secret
    assert secret
    overrides: dict[str, Any] = {
        "no-exp": {"exp": None},
        "no-sub": {"sub": None},
        "no-role": {"role": None},
        "no-ver": {"ver": None},
        "wrong-iss": {"iss": "somebody-else"},
        "wrong-aud": {"aud": "another-api"},
        "no-iss": {"iss": None},
        "no-aud": {"aud": None},
        "ver-not-int": {"ver": "1"},
        "role-unknown": {"role": "superuser"},
    }.get(case, {})
    claims = _claims(settings, **overrides)
    if case == "alg-none":
        token = _unsigned(claims)
    elif case == "hs512":
        token = jwt.encode(claims, secret, algorithm="HS512")
    else:
        token = jwt.encode(claims, secret, algorithm="HS256")
    resp = _me(client, token)
    if case == "role-unknown":  # signed and current: the role that counts is the stored one
        assert resp.status_code == 200 and resp.json()["role"] == "admin"
        return
    assert resp.status_code == 401, resp.text
    assert resp.json()["error"]["code"] == "AUTHENTICATION_FAILED"


@pytest.mark.parametrize("secret", ["change-me-to-a-long-random-secret", "short-secret", "x" * 31])
def test_the_api_refuses_to_start_with_a_weak_secret(
    settings: Settings, engine: Any, secret: str
) -> None:
    from ariadne_api.main import create_app

    weak = settings.model_copy(update={"jwt_secret": secret})
    with pytest.raises(ConfigurationError) as info:
        create_app(weak, engine)
    assert "openssl rand" in info.value.message
    assert "\n" not in info.value.message


def test_a_weak_generated_secret_file_is_refused(tmp_path: Path, settings: Settings) -> None:
    from ariadne_core.security.tokens import signing_secret

    (tmp_path / "jwt-secret").write_text("changeme\n")
    with pytest.raises(ConfigurationError):
        signing_secret(settings.model_copy(update={"jwt_secret": None, "home": tmp_path}))


def test_compose_carries_no_default_jwt_secret() -> None:
    compose = (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()
    assert "change-me-to-a-long-random-secret" not in compose
    assert "${ARIADNE_JWT_SECRET:?" in compose  # compose refuses to start without one


# --- revocation ---------------------------------------------------------------------


def _login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    resp = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_logout_ends_the_session(client: TestClient, users: dict[str, str]) -> None:
    token = _login(client, users["editor"])
    assert _me(client, token).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=_bearer(token)).status_code == 204
    resp = _me(client, token)
    assert resp.status_code == 401
    assert "ended" in resp.json()["error"]["message"]
    assert _me(client, _login(client, users["editor"])).status_code == 200


def test_demoted_user_loses_the_old_role_on_the_next_request(
    client: TestClient, users: dict[str, str], auth_headers: Any, db_session: Session
) -> None:
    steward = _login(client, users["steward"])
    assert _me(client, steward).json()["role"] == "steward"
    user_id = db_session.execute(
        text("SELECT id FROM users WHERE email = :e"), {"e": users["steward"]}
    ).scalar_one()
    resp = client.patch(
        f"/api/v1/users/{user_id}", json={"role": "viewer"}, headers=auth_headers("admin")
    )
    assert resp.status_code == 200 and resp.json()["role"] == "viewer"
    assert _me(client, steward).status_code == 401
    assert _me(client, _login(client, users["steward"])).json()["role"] == "viewer"


def test_deactivated_and_deleted_users_lose_access(
    client: TestClient, users: dict[str, str], auth_headers: Any, db_session: Session
) -> None:
    editor, viewer = _login(client, users["editor"]), _login(client, users["viewer"])
    ids = dict(db_session.execute(text("SELECT email, id FROM users")).all())
    resp = client.patch(
        f"/api/v1/users/{ids[users['editor']]}",
        json={"is_active": False},
        headers=auth_headers("admin"),
    )
    assert resp.status_code == 200 and resp.json()["is_active"] is False
    assert _me(client, editor).status_code == 401
    login = client.post("/api/v1/auth/login", json={"email": users["editor"], "password": PASSWORD})
    assert login.status_code == 401

    db_session.execute(text("DELETE FROM users WHERE email = :e"), {"e": users["viewer"]})
    db_session.flush()
    assert _me(client, viewer).status_code == 401


def test_a_direct_sql_role_change_is_seen_without_any_api_call(
    client: TestClient, users: dict[str, str], db_session: Session
) -> None:
    """Role changes made by another process (CLI, SQL) count too: the role that holds is
    the stored one, and the version decides whether the token still counts."""
    token = _login(client, users["admin"])
    db_session.execute(
        text("UPDATE users SET role = 'viewer' WHERE email = :e"), {"e": users["admin"]}
    )
    db_session.flush()
    assert _me(client, token).json()["role"] == "viewer"


# --- user management ------------------------------------------------------------------


def test_admins_manage_users_and_nobody_else_does(
    client: TestClient, users: dict[str, str], auth_headers: Any
) -> None:
    body = {"email": "New.Person@Example.com", "password": "long-enough-pass", "role": "editor"}
    for role in ("viewer", "editor", "steward"):
        assert (
            client.post("/api/v1/users", json=body, headers=auth_headers(role)).status_code == 403
        )
        assert client.get("/api/v1/users", headers=auth_headers(role)).status_code == 403
    created = client.post("/api/v1/users", json=body, headers=auth_headers("admin"))
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "new.person@example.com"
    assert "password" not in created.text and "hash" not in created.text
    again = client.post("/api/v1/users", json=body, headers=auth_headers("admin"))
    assert again.status_code == 409
    listing = client.get("/api/v1/users", params={"size": 100}, headers=auth_headers("admin"))
    assert listing.status_code == 200
    assert {"total", "page", "size", "pages", "items"} == set(listing.json())
    assert "new.person@example.com" in {u["email"] for u in listing.json()["items"]}
    token = _login(client, "new.person@example.com", "long-enough-pass")
    assert _me(client, token).json()["role"] == "editor"


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(
    client: TestClient, users: dict[str, str], auth_headers: Any, db_session: Session
) -> None:
    admin_id = db_session.execute(
        text("SELECT id FROM users WHERE email = :e"), {"e": users["admin"]}
    ).scalar_one()
    for change in ({"role": "steward"}, {"is_active": False}):
        resp = client.patch(f"/api/v1/users/{admin_id}", json=change, headers=auth_headers("admin"))
        assert resp.status_code == 409, resp.text
        assert "last active admin" in resp.json()["error"]["message"]


def test_unknown_user_id_is_404(client: TestClient, auth_headers: Any) -> None:
    resp = client.patch(
        "/api/v1/users/00000000-0000-0000-0000-000000000000",
        json={"role": "viewer"},
        headers=auth_headers("admin"),
    )
    assert resp.status_code == 404


# --- login limits ---------------------------------------------------------------------


@pytest.fixture
def strict_client(settings: Settings, engine: Any, db_session: Session) -> Any:
    from ariadne_api.main import create_app
    from tests.transaction import share_test_transaction

    strict = settings.model_copy(
        update={"login_failures_per_account": 3, "login_attempts_per_address": 8}
    )
    application = create_app(strict, engine)
    share_test_transaction(application, db_session)
    with TestClient(application) as test_client:
        yield test_client


def test_failed_logins_per_account_are_limited_with_retry_after(
    strict_client: TestClient, users: dict[str, str]
) -> None:
    bad = {"email": users["steward"], "password": "wrong-password"}
    codes = [strict_client.post("/api/v1/auth/login", json=bad).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    resp = strict_client.post(
        "/api/v1/auth/login", json={"email": users["steward"], "password": PASSWORD}
    )
    assert resp.status_code == 429  # even the right password waits now
    assert resp.json()["error"]["code"] == "TOO_MANY_REQUESTS"
    assert 1 <= int(resp.headers["Retry-After"]) <= 300
    ok = strict_client.post(
        "/api/v1/auth/login", json={"email": users["editor"], "password": PASSWORD}
    )
    assert ok.status_code == 200  # another account from the same address still logs in


def test_login_attempts_per_address_are_limited(
    strict_client: TestClient, users: dict[str, str]
) -> None:
    codes = [
        strict_client.post(
            "/api/v1/auth/login", json={"email": f"u{i}@example.com", "password": "whatever-1"}
        ).status_code
        for i in range(9)
    ]
    assert codes == [401] * 8 + [429]


def test_redis_counters_share_limits_between_processes(redis_url: str) -> None:
    from ariadne_core.security.ratelimit import RedisCounters

    async def scenario() -> tuple[int, int, int]:
        one, two = RedisCounters(redis_url), RedisCounters(redis_url)
        key = f"test:{datetime.now(UTC).timestamp()}"
        await one.hit(key, 60)
        hits, left = await two.hit(key, 60)
        seen, _ = await one.count(key)
        await one.reset(key)
        after, _ = await two.count(key)
        await one.close()
        await two.close()
        assert 1 <= left <= 60
        return hits, seen, after

    assert asyncio.run(scenario()) == (2, 2, 0)


def test_unknown_and_inactive_users_cost_one_password_check_each(
    client: TestClient, users: dict[str, str], db_session: Session, monkeypatch: Any
) -> None:
    from ariadne_core.users import sessions

    calls: list[str] = []
    real = sessions.verify_password

    def counting(stored: str, password: str) -> bool:
        calls.append(threading.current_thread().name)
        return real(stored, password)

    monkeypatch.setattr(sessions, "verify_password", counting)
    db_session.execute(
        text("UPDATE users SET is_active = false WHERE email = :e"), {"e": users["viewer"]}
    )
    db_session.flush()
    for email in (users["viewer"], "nobody@example.com"):
        resp = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert resp.status_code == 401
        assert resp.json()["error"]["message"] == "The e-mail or password is wrong."
    assert len(calls) == 2
    # hashing runs on the login pool, never on the threads that serve sync routes
    assert all(name.startswith("ariadne-login") for name in calls)


def test_a_login_flood_beyond_the_queue_gets_429(settings: Settings) -> None:
    from ariadne_core.security.ratelimit import MemoryCounters
    from ariadne_core.users.sessions import Account, Logins

    gate = threading.Event()

    class Reader:
        async def run(self, make_plan: Any) -> Account:
            return Account("a@example.com", "viewer", 1, True, "hash")  # type: ignore[arg-type]

    logins = Logins(
        settings.model_copy(update={"login_max_pending": 2, "login_attempts_per_address": 100}),
        MemoryCounters(),
    )

    def slow(stored: str, password: str) -> bool:
        gate.wait(5)
        return False

    async def scenario() -> list[str]:
        async def one(i: int) -> str:
            try:
                await logins._hash(slow, "hash", "pw")
                return "done"
            except TooManyRequests:
                return "429"

        tasks = [asyncio.create_task(one(i)) for i in range(5)]
        await asyncio.sleep(0.2)
        gate.set()
        return list(await asyncio.gather(*tasks))

    results = asyncio.run(scenario())
    assert sorted(results) == ["429"] * 3 + ["done"] * 2


# --- secret files ---------------------------------------------------------------------


def _make_key(home: str, queue: Any) -> None:
    from ariadne_core.security.secrets import keyring_from_home

    queue.put(keyring_from_home(Path(home)).active)


def test_secret_files_are_private_from_the_start_and_created_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_make_key, args=(str(tmp_path), queue)) for _ in range(6)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    kids = {queue.get(timeout=5) for _ in procs}
    assert len(kids) == 1, kids  # every process ended with the same key
    path = tmp_path / "encryption-keys"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["encryption-keys"]  # no temp files left


def test_generated_jwt_secret_is_private(tmp_path: Path, settings: Settings) -> None:
    from ariadne_core.security.tokens import signing_secret

    secret = signing_secret(settings.model_copy(update={"jwt_secret": None, "home": tmp_path}))
    path = tmp_path / "jwt-secret"
    assert path.read_text().strip() == secret and len(secret) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
