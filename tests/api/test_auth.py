"""Login, tokens and the unified 401 body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from fastapi.testclient import TestClient

from ariadne_core.config import Settings
from tests.conftest import PASSWORD


def _assert_error(resp_json: dict, code: str) -> None:  # type: ignore[type-arg]
    assert set(resp_json) == {"error"}
    assert set(resp_json["error"]) == {"code", "message", "details"}
    assert resp_json["error"]["code"] == code
    assert resp_json["error"]["message"]


def test_login_with_good_password_returns_the_plan_token_body(
    client: TestClient, users: dict[str, str], settings: Settings
) -> None:
    resp = client.post("/api/v1/auth/login", json={"email": users["editor"], "password": PASSWORD})
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_expire_minutes * 60
    claims = jwt.decode(
        body["access_token"],
        settings.jwt_secret,
        algorithms=["HS256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    assert claims["sub"] == users["editor"]
    assert claims["role"] == "editor"


def test_login_is_case_insensitive_on_email(client: TestClient, users: dict[str, str]) -> None:
    resp = client.post(
        "/api/v1/auth/login", json={"email": users["viewer"].upper(), "password": PASSWORD}
    )
    assert resp.status_code == 200


def test_login_with_bad_password_gets_unified_401(
    client: TestClient, users: dict[str, str]
) -> None:
    resp = client.post(
        "/api/v1/auth/login", json={"email": users["admin"], "password": "wrong-pass"}
    )
    assert resp.status_code == 401
    _assert_error(resp.json(), "AUTHENTICATION_FAILED")
    assert resp.json()["error"]["message"] == "The e-mail or password is wrong."


def test_login_for_unknown_user_gets_the_same_401(
    client: TestClient, users: dict[str, str]
) -> None:
    resp = client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "x" * 10}
    )
    assert resp.status_code == 401
    assert resp.json()["error"]["message"] == "The e-mail or password is wrong."


def test_password_is_stored_as_argon2_hash(db_session, users: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    from ariadne_core.users.service import find_user

    user = find_user(db_session, users["steward"])
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_me_needs_a_token(client: TestClient) -> None:
    resp = client.get("/api/v1/auth/me")
    assert resp.status_code == 401
    _assert_error(resp.json(), "AUTHENTICATION_FAILED")
    assert resp.headers["www-authenticate"] == "Bearer"


def test_me_with_token(client: TestClient, auth_headers, users: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/api/v1/auth/me", headers=auth_headers("steward"))
    assert resp.status_code == 200
    assert resp.json() == {"email": users["steward"], "role": "steward"}


def test_expired_token_gets_401(client: TestClient, settings: Settings) -> None:
    past = datetime.now(UTC) - timedelta(hours=2)
    token = jwt.encode(
        {
            "sub": "a@b.c",
            "role": "admin",
            "ver": 1,
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
            "iat": past,
            "exp": past + timedelta(minutes=1),
        },
        settings.jwt_secret,
        algorithm="HS256",
    )
    resp = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401
    assert "expired" in resp.json()["error"]["message"]


def test_token_signed_with_another_secret_gets_401(client: TestClient) -> None:
    token = jwt.encode(
        {"sub": "a@b.c", "role": "admin", "exp": datetime.now(UTC) + timedelta(hours=1)},
        "not-the-secret-" + "y" * 32,
        algorithm="HS256",
    )
    resp = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401
    _assert_error(resp.json(), "AUTHENTICATION_FAILED")


def test_garbage_token_gets_401(client: TestClient) -> None:
    resp = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert resp.status_code == 401
