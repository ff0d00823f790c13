"""JWT checks in isolation: algorithm allow-list, kid, signature and claims with leeway."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc.jwk import KeySet
from mcp_registry_server.auth.errors import TokenRejectedError
from mcp_registry_server.auth.jwt_validator import (
    ClaimsChecker,
    JwtValidator,
    UnverifiedJwt,
    peek_jwt,
)
from mcp_registry_testing.clock import FakeClock
from mcp_registry_testing.oidc import OidcIssuer, generate_key

ISSUER = "https://idp.example/realms/mcp"
AUDIENCE = "registry-api"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, object], claims: dict[str, object], signature: bytes = b"") -> str:
    """A compact JWS built by hand (for tokens no honest library would sign)."""
    return ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(signature)]
    )


@pytest.fixture
def issuer() -> OidcIssuer:
    idp = OidcIssuer(keys=[generate_key("RSA"), generate_key("EC")])
    idp.url = ISSUER  # never started: these tests only sign and verify
    return idp


@pytest.fixture
def validator(clock: FakeClock) -> JwtValidator:
    return JwtValidator(
        ClaimsChecker(provider="idp", issuer=ISSUER, audience=AUDIENCE, leeway=30, clock=clock)
    )


def verify(validator: JwtValidator, token: str, keys: KeySet) -> dict[str, object]:
    unverified = peek_jwt(token)
    assert unverified is not None
    validator.key_id(unverified)
    return validator.verify(token, keys)


def public(issuer: OidcIssuer) -> KeySet:
    return KeySet.import_key_set({"keys": [k.as_dict(private=False) for k in issuer.keys]})


@pytest.mark.parametrize(
    "token",
    ["opaque-abc", "a.b", "a.b.c.d.e", "!!!.???.###", forge({"alg": "RS256"}, {})[:-1] + ".x.y"],
)
def test_peek_refuses_non_jws(token: str) -> None:
    assert peek_jwt(token) is None


def test_peek_reads_header_and_issuer_without_verifying(issuer: OidcIssuer) -> None:
    token = issuer.mint(issuer.claims())
    peeked = peek_jwt(token)
    assert isinstance(peeked, UnverifiedJwt)
    assert peeked.issuer == ISSUER
    assert peeked.header["kid"] == issuer.keys[0].kid


@pytest.mark.parametrize("kind", ["RSA", "EC", "EC-P384", "OKP"])
def test_asymmetric_algorithms_are_accepted(
    kind: str, validator: JwtValidator, issuer: OidcIssuer
) -> None:
    key = issuer.add_key(kind)  # type: ignore[arg-type]
    claims = verify(validator, issuer.mint(issuer.claims(sub="alice"), key=key), public(issuer))
    assert claims["sub"] == "alice"


@pytest.mark.parametrize("alg", ["PS256", "RS512", "PS384"])
def test_other_rsa_algorithms(alg: str, validator: JwtValidator, issuer: OidcIssuer) -> None:
    assert verify(validator, issuer.mint(issuer.claims(), alg=alg), public(issuer))["iss"] == ISSUER


@pytest.mark.parametrize("alg", ["none", "None", "HS256", "HS384", "HS512", "", None, "ES256K"])
def test_disallowed_algorithms_are_refused_before_any_key_lookup(
    alg: object, validator: JwtValidator, issuer: OidcIssuer
) -> None:
    token = forge({"alg": alg, "kid": issuer.keys[0].kid}, issuer.claims())
    unverified = peek_jwt(token)
    assert unverified is not None
    with pytest.raises(TokenRejectedError, match="not allowed"):
        validator.key_id(unverified)


def test_missing_kid_is_refused(validator: JwtValidator, issuer: OidcIssuer) -> None:
    token = issuer.mint(issuer.claims(), headers={"kid": None})
    unverified = peek_jwt(token)
    assert unverified is not None
    with pytest.raises(TokenRejectedError, match="no kid"):
        validator.key_id(unverified)


def test_alg_none_token_fails_verification_even_if_header_check_skipped(
    validator: JwtValidator, issuer: OidcIssuer
) -> None:
    token = forge({"alg": "none", "kid": issuer.keys[0].kid}, issuer.claims())
    with pytest.raises(TokenRejectedError):
        validator.verify(token, public(issuer))


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": -31}, "expired"),
        ({"nbf": 31}, "not yet valid"),
        ({"iat": 31}, "issued in the future"),
        ({"iss": "https://evil.example"}, "iss"),
        ({"iss": ISSUER + "/"}, "iss"),
        ({"aud": "other-api"}, "aud"),
        ({"aud": ["other-api", "more"]}, "aud"),
        ({"aud": "registry-api-x"}, "aud"),
        ({"aud": None}, "aud"),
        ({"exp": None}, "exp"),
        ({"iss": None}, "iss"),
        ({"exp": "tomorrow"}, "exp"),
    ],
)
def test_claim_violations_are_refused(
    overrides: dict[str, object],
    reason: str,
    validator: JwtValidator,
    issuer: OidcIssuer,
    clock: FakeClock,
) -> None:
    now = int(clock())
    claims = issuer.claims(now=now)
    for key, value in overrides.items():
        if value is None:
            claims.pop(key)
        elif isinstance(value, int):
            claims[key] = now + value
        else:
            claims[key] = value
    with pytest.raises(TokenRejectedError, match=reason):
        verify(validator, issuer.mint(claims), public(issuer))


def test_leeway_tolerates_small_skew(
    validator: JwtValidator, issuer: OidcIssuer, clock: FakeClock
) -> None:
    now = int(clock())
    claims = issuer.claims(now=now, exp=now - 20, nbf=now + 20, iat=now + 20)
    assert verify(validator, issuer.mint(claims), public(issuer))["sub"] == "user-1"


def test_token_expires_as_the_clock_moves(
    validator: JwtValidator, issuer: OidcIssuer, clock: FakeClock
) -> None:
    token = issuer.mint(issuer.claims(now=clock(), ttl=60))
    verify(validator, token, public(issuer))
    clock.advance(60 + 30)
    with pytest.raises(TokenRejectedError, match="expired"):
        verify(validator, token, public(issuer))


def test_audience_list_containing_ours_is_accepted(
    validator: JwtValidator, issuer: OidcIssuer
) -> None:
    token = issuer.mint(issuer.claims(aud=["other", AUDIENCE]))
    assert verify(validator, token, public(issuer))["aud"] == ["other", AUDIENCE]


def test_tampered_payload_is_refused(validator: JwtValidator, issuer: OidcIssuer) -> None:
    header, _, signature = issuer.mint(issuer.claims(role="reader")).split(".")
    payload = b64(json.dumps(issuer.claims(role="super-admin")).encode())
    with pytest.raises(TokenRejectedError, match="BadSignature"):
        verify(validator, f"{header}.{payload}.{signature}", public(issuer))


def test_signature_by_a_foreign_key_with_a_known_kid_is_refused(
    validator: JwtValidator, issuer: OidcIssuer
) -> None:
    impostor = generate_key("RSA")
    token = issuer.mint(issuer.claims(), key=impostor, headers={"kid": issuer.keys[0].kid})
    with pytest.raises(TokenRejectedError, match="BadSignature"):
        verify(validator, token, public(issuer))


def test_key_type_confusion_is_refused(validator: JwtValidator, issuer: OidcIssuer) -> None:
    rsa_kid = issuer.keys[0].kid
    token = issuer.mint(issuer.claims(), key=issuer.keys[1], headers={"kid": rsa_kid})
    with pytest.raises(TokenRejectedError):
        verify(validator, token, public(issuer))


def test_introspection_style_check_only_checks_present_claims(clock: FakeClock) -> None:
    checker = ClaimsChecker(provider="idp", issuer=ISSUER, audience=AUDIENCE, clock=clock)
    checker.check({"active": True, "sub": "svc"}, require_all=False)
    with pytest.raises(TokenRejectedError, match="aud"):
        checker.check({"active": True, "aud": "other"}, require_all=False)
    with pytest.raises(TokenRejectedError, match="expired"):
        checker.check({"active": True, "exp": int(clock()) - 100}, require_all=False)
