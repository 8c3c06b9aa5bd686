"""Access tokens (PyJWT, HS256, ``kid``) and the settings that key them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import jwt
import pytest

from domain.roles import Role
from domain.sessions import AccessTokenExpiredError, AccessTokenInvalidError
from domain.users import User
from infrastructure.identity.jwt_tokens import PyJwtAccessTokens
from infrastructure.settings import Settings, SettingsError

NOW = datetime(2030, 1, 1, tzinfo=UTC)
A, B = "a" * 32, "b" * 32
LIFETIME = timedelta(minutes=15)


def _user() -> User:
    return User.customer(uuid4(), uuid4(), "ada@example.com", "Ada", "hash", NOW)


def test_a_token_carries_its_claims_and_the_signing_kid() -> None:
    user = _user()
    tokens = PyJwtAccessTokens((("k2", B), ("k1", A)), LIFETIME)
    token = tokens.issue(user, NOW)
    assert jwt.get_unverified_header(token)["kid"] == "k2"
    claims = tokens.verify(token, NOW)
    assert (claims.user_id, claims.tenant_id, claims.role) == (user.id, user.tenant_id, Role.CUSTOMER)
    assert claims.expires_at - claims.issued_at == LIFETIME
    assert set(jwt.decode(token, B, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False})) == {
        "sub",
        "tid",
        "role",
        "exp",
        "iat",
        "jti",
    }


def test_expiry_is_judged_on_the_clock_given() -> None:
    tokens = PyJwtAccessTokens((("k1", A),), LIFETIME)
    token = tokens.issue(_user(), NOW)
    tokens.verify(token, NOW + LIFETIME - timedelta(seconds=1))
    with pytest.raises(AccessTokenExpiredError):
        tokens.verify(token, NOW + LIFETIME)


def test_a_token_of_an_unlisted_kid_a_forged_one_or_another_algorithm_is_refused() -> None:
    user = _user()
    old = PyJwtAccessTokens((("k1", A),), LIFETIME).issue(user, NOW)
    tokens = PyJwtAccessTokens((("k2", B),), LIFETIME)
    claims = {
        "sub": str(user.id),
        "tid": str(user.tenant_id),
        "role": "admin",
        "iat": 0,
        "exp": 2**40,
        "jti": str(uuid4()),
    }
    forged = jwt.encode(claims, "c" * 32, algorithm="HS256", headers={"kid": "k2"})
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "k2"})
    for token in (old, forged, unsigned, "not.a.token", ""):
        with pytest.raises(AccessTokenInvalidError):
            tokens.verify(token, NOW)


def test_jwt_keys_setting_first_signs_and_production_requires_strong_ones() -> None:
    settings = Settings.from_env({"HOLDFAST_JWT_KEYS": f"new:{B}, old:{A}"})
    assert settings.jwt_signing_keys == (("new", B), ("old", A))
    for bad in (f"k1:{'short'}", f"k1:{A},k1:{B}", f"bad kid:{A}", A):
        with pytest.raises(SettingsError, match="HOLDFAST_JWT_KEYS"):
            Settings.from_env({"HOLDFAST_JWT_KEYS": bad})
    stripe = {
        "HOLDFAST_PAYMENTS": "stripe",
        "HOLDFAST_STRIPE_API_KEY": "sk_1",
        "HOLDFAST_STRIPE_WEBHOOK_SECRET": "whsec_1",
        "HOLDFAST_QUEUE_PASS_SECRET": "q" * 32,
    }
    with pytest.raises(SettingsError, match="HOLDFAST_JWT_KEYS"):
        Settings.from_env({"HOLDFAST_ENV": "production", **stripe})


def test_without_keys_development_derives_one_and_code_built_production_makes_its_own() -> None:
    development = Settings(database_url="sqlite+aiosqlite:///a.db")
    assert development.jwt_signing_keys == Settings(database_url="sqlite+aiosqlite:///a.db").jwt_signing_keys
    assert development.jwt_signing_keys != Settings(database_url="sqlite+aiosqlite:///b.db").jwt_signing_keys
    production = Settings(environment="production").jwt_signing_keys
    assert production[0][0] == "process"
    assert production[0][1] not in {secret for _, secret in development.jwt_signing_keys}


def test_a_verified_token_is_kept_but_only_its_exact_text_and_never_past_its_exp() -> None:
    tokens = PyJwtAccessTokens((("k1", A),), LIFETIME)
    token = tokens.issue(_user(), NOW)
    assert tokens.verify(token, NOW) == tokens.verify(token, NOW + timedelta(minutes=1))
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(AccessTokenInvalidError):
        tokens.verify(tampered, NOW)
    with pytest.raises(AccessTokenExpiredError):
        tokens.verify(token, NOW + LIFETIME)
