"""SigV4 verification of requests to `AWS_IAM` routes, as API Gateway does it before calling the integration.

botocore computes the signature the client should have sent: the request is rebuilt with exactly the headers
the client listed in SignedHeaders, its own X-Amz-Date, path, query and body, and signed with the secret of
the access key it names. Only the local stack's credentials (ACCESS_KEY / SECRET_KEY of local.constants)
are known; any other access key is rejected as an invalid token. IAM policies (which principal may call
execute-api:Invoke) are not evaluated: the local credentials stand for an administrator. Query-string
(presigned URL) signatures are not accepted.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
# API Gateway rejects signatures whose X-Amz-Date is more than 5 minutes away from its clock.
MAX_SKEW = timedelta(minutes=5)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"

MISSING = "Forbidden"
INVALID_TOKEN = "The security token included in the request is invalid."  # noqa: S105 - a message
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True)
class Verdict:
    """`access_key` is set when the signature verifies; otherwise `message` is API Gateway's 403 message."""

    access_key: str | None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.access_key is not None


class _ClientSignedHeaders(SigV4Auth):
    """SigV4Auth that signs exactly the headers the client signed (botocore would choose its own set)."""

    def __init__(self, credentials: Credentials, service: str, region: str, signed: list[str]) -> None:
        super().__init__(credentials, service, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        headers = HTTPHeaders()
        for name in self._signed:
            for value in request.headers.get_all(name) or []:
                headers[name] = value
        return headers


def _parse_authorization(value: str) -> dict[str, str] | None:
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        return None
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, val = part.strip().partition("=")
        if sep:
            fields[key] = val
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        return None
    return fields


def verify(
    method: str,
    host: str,
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    region: str,
    secrets: Mapping[str, str],
    service: str = "execute-api",
    now: datetime | None = None,
) -> Verdict:
    """Check the request's Authorization header against `secrets` (access key -> secret key)."""
    lowered = [(name.lower(), value) for name, value in headers]
    authorization = next((value for name, value in lowered if name == "authorization"), None)
    if authorization is None:
        return Verdict(None, MISSING)
    fields = _parse_authorization(authorization)
    if fields is None:
        return Verdict(None, MISMATCH)
    scope = fields["Credential"].split("/")
    if len(scope) != 5:
        return Verdict(None, MISMATCH)
    access_key, day, scope_region, scope_service, terminator = scope
    if access_key not in secrets:
        return Verdict(None, INVALID_TOKEN)
    if (scope_region, scope_service, terminator) != (region, service, "aws4_request"):
        return Verdict(None, MISMATCH)

    amz_date = next((value for name, value in lowered if name == "x-amz-date"), None)
    if amz_date is None:
        return Verdict(None, MISMATCH)
    try:
        signed_at = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        return Verdict(None, MISMATCH)
    now = now or datetime.now(UTC)
    if abs(now - signed_at) > MAX_SKEW or not amz_date.startswith(day):
        earliest = (now - MAX_SKEW).strftime(_AMZ_DATE)
        return Verdict(
            None,
            f"Signature expired: {amz_date} is now earlier than {earliest} "
            f"({now.strftime(_AMZ_DATE)} - 5 min.)",
        )

    signed = fields["SignedHeaders"].split(";")
    if "host" not in signed:
        return Verdict(None, MISMATCH)
    claimed_hash = next((value for name, value in lowered if name == "x-amz-content-sha256"), None)
    if claimed_hash is not None and claimed_hash != hashlib.sha256(body).hexdigest():
        return Verdict(None, MISMATCH)

    request_headers = HTTPHeaders()
    for name, value in lowered:
        if name in signed:
            request_headers[name] = value
    if "host" not in request_headers:
        request_headers["host"] = host
    url = f"http://{host}{raw_path}" + (f"?{raw_query}" if raw_query else "")
    request: Any = AWSRequest(method=method, url=url, data=body)
    request.headers = request_headers  # keeps repeated headers, which a dict would merge
    request.context["timestamp"] = amz_date
    signer = _ClientSignedHeaders(Credentials(access_key, secrets[access_key]), service, region, signed)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if not hmac.compare_digest(expected, fields["Signature"]):
        return Verdict(None, MISMATCH)
    return Verdict(access_key)
