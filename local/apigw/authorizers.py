"""Route authorization as API Gateway applies it: `AWS_IAM` (a SigV4 signature, local.apigw.sigv4) and `JWT`
(the token's claims, checked offline). What a check grants becomes the event's `requestContext.authorizer`."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from typing import Any

from local.apigw import sigv4
from local.apigw.config import ApiConfig, Route
from local.apigw.messages import INTERNAL, ApiError, HttpRequest
from local.constants import ACCESS_KEY, ACCOUNT_ID, REGION, SECRET_KEY

log = logging.getLogger(__name__)


def authorize(config: ApiConfig, route: Route, request: HttpRequest) -> dict[str, Any] | None:
    """The event's `authorizer` context when the route lets `request` through (None for NONE routes);
    else ApiError: 403 for a bad signature or a missing scope, 401 for a bad token, 500 for an unusable
    authorizer."""
    if route.authorization_type == "AWS_IAM":
        return {"iam": iam_identity(request)}
    if route.authorization_type == "JWT":
        authorizer = config.authorizers.get(route.authorizer_id or "")
        if authorizer is None:
            raise ApiError(*INTERNAL, "AUTHORIZER_CONFIGURATION_ERROR")
        jwt = authorizer.get("JwtConfiguration") or {}
        source = (authorizer.get("IdentitySource") or ["$request.header.Authorization"])[0]
        token = request.header(source.removeprefix("$request.header.").lower())
        claims = check_jwt(token, jwt.get("Issuer", ""), list(jwt.get("Audience") or []), route.scopes)
        return {"jwt": {"claims": claims_for_event(claims), "scopes": list(route.scopes) or None}}
    if route.authorization_type != "NONE":
        log.error("authorization type %s is not emulated", route.authorization_type)
        raise ApiError(*INTERNAL, "AUTHORIZER_CONFIGURATION_ERROR")
    return None


def iam_identity(request: HttpRequest) -> dict[str, Any]:
    """The caller of an `AWS_IAM` route, once its SigV4 signature verifies with the local credentials (the
    local credentials stand for the account's root); else ApiError 403."""
    verdict = sigv4.verify(
        request.method,
        request.header("host") or "",
        request.raw_path,
        request.raw_query,
        request.headers,
        request.body,
        region=REGION,
        secrets={ACCESS_KEY: SECRET_KEY},
    )
    if not verdict.ok:
        raise ApiError(403, verdict.message, "ACCESS_DENIED")
    return {
        "accessKey": verdict.access_key,
        "accountId": ACCOUNT_ID,
        "callerId": ACCOUNT_ID,
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": f"arn:aws:iam::{ACCOUNT_ID}:root",
        "userId": ACCOUNT_ID,
    }


def check_jwt(
    token: str | None,
    issuer: str,
    audiences: list[str],
    scopes: tuple[str, ...],
    now: float | None = None,
) -> dict[str, Any]:
    """The token's claims if API Gateway's JWT authorizer accepts it, else ApiError (401; 403 for scopes).

    Checked offline, as API Gateway does: the token is a JWT with an RSA algorithm, `iss` equals the issuer,
    `aud` (or `client_id` for access tokens) is one of the audiences, `exp` is in the future, `nbf` and `iat`
    are not, and with route scopes, the `scope`/`scp` claim holds one of them. NOT checked: the signature,
    because the issuer's JWKS (`{issuer}/.well-known/openid-configuration`) cannot be fetched offline, so any
    token with the right claims passes here.
    """
    unauthorized = ApiError(401, "Unauthorized")
    if not token:
        raise unauthorized
    token = token.removeprefix("Bearer ").strip()
    pieces = token.split(".")
    if len(pieces) != 3:
        raise unauthorized
    try:
        header = json.loads(_b64url(pieces[0]))
        claims = json.loads(_b64url(pieces[1]))
    except (ValueError, binascii.Error):
        raise unauthorized from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise unauthorized
    if not str(header.get("alg", "")).startswith(("RS", "PS")):
        raise unauthorized  # API Gateway's JWT authorizers accept RSA-signed tokens only
    now = time.time() if now is None else now
    if claims.get("iss") != issuer:
        raise unauthorized
    audience = claims.get("aud") if claims.get("aud") is not None else claims.get("client_id")
    token_audiences = audience if isinstance(audience, list) else [audience]
    if not set(token_audiences) & set(audiences):
        raise unauthorized
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now:
        raise unauthorized
    for claim in ("nbf", "iat"):
        value = claims.get(claim)
        if value is not None and (not isinstance(value, int | float) or value > now):
            raise unauthorized
    if scopes:
        granted = claims.get("scope", claims.get("scp", ""))
        granted_set = set(granted.split() if isinstance(granted, str) else granted or [])
        if not granted_set & set(scopes):
            raise ApiError(403, "Forbidden")
    return claims


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims_for_event(claims: dict[str, Any]) -> dict[str, str]:
    # API Gateway hands claims to the function as strings; lists in the "[a b]" form.
    result: dict[str, str] = {}
    for key, value in claims.items():
        if isinstance(value, list):
            result[key] = "[" + " ".join(str(v) for v in value) + "]"
        elif isinstance(value, str):
            result[key] = value
        else:
            result[key] = json.dumps(value)
    return result
