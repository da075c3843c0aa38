"""Generated requests through the deployed API: never a 5xx, every 4xx a JSON error body, no 4xx writes.

Hypothesis sends malformed and non-object JSON, wrong types, huge and tiny numbers, NaN and Infinity,
negative and non-numeric prices, odd Unicode (including lone surrogates), oversize bodies, missing and extra
fields, wrong content types, methods and paths, unsigned requests and unusable Idempotency-Key headers. Each
test scans the table before and after: only products that a 2xx answer names may have changed.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import Response, Stack

pytestmark = pytest.mark.e2e

# At least 1,000 requests in all (the bar), split where the shapes differ.
POST_REQUESTS = 400
PUT_REQUESTS = 200
ANY_REQUESTS = 400
# Each example is this many requests sent at once: the writer's invocations then overlap, which keeps the run
# short, and duplicates racing each other (same Idempotency-Key, same product) are part of the input.
CONCURRENCY = 4
FUZZ = settings(
    deadline=None,  # a request's time depends on the machine, not on the input
    database=None,  # nothing written into the working tree; failures print their reproducing example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
WRITER_BODY_LIMIT = 8192

# -- strategies ---------------------------------------------------------------------------------------------

odd_text = st.one_of(
    st.text(max_size=30),  # any code points, lone surrogates included (json.dumps escapes them)
    st.text(
        st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "So", "Co"]), min_size=1, max_size=20
    ),
    st.sampled_from(["", " ", "\u200b", "\ufeff", "\u202e", "e\u0301", "\U0001f600", "null", "NaN", "\x00"]),
    st.text(min_size=190, max_size=260),  # around the 200-character name limit
)
# Number tokens written as JSON text, so that values json.dumps cannot make (1e400, -0.0, 40 digits) appear.
number_token = st.one_of(
    st.integers().map(str),
    st.integers(min_value=-(10**60), max_value=10**60).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.from_regex(r"\A-?(0|[1-9][0-9]{0,45})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,4})?\Z"),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "-0", "-0.0", "0.00001"]),
    st.sampled_from(["1000000000", "1000000000.0001", "999999999.9999", "0.0001", "0.00001", "10.99"]),
)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), odd_text)
json_value = st.recursive(
    json_scalar,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(odd_text, children, max_size=4),
    max_leaves=10,
)


def _dumps(value: Any) -> str:
    # Python's encoder writes NaN and Infinity as bare tokens: exactly the non-JSON the API must refuse.
    return json.dumps(value, allow_nan=True)


@st.composite
def product_document(draw: st.DrawFn) -> str:
    """An object with some of name/price/category, each of a right or wrong type, plus extra fields."""
    parts: list[str] = []
    for name in ("name", "price", "category"):
        # Mostly right, so that many documents are one mistake away from a valid product.
        kinds = ["valid", "valid", "missing", "value"] + (["number", "number"] if name == "price" else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "missing":
            continue
        if kind == "number":
            token = draw(number_token)
        elif kind == "value":
            token = _dumps(draw(json_value))
        elif name == "price":
            token = draw(st.sampled_from(["0", "10", "10.99", "12.5", "999999999.9999"]))
        else:
            token = _dumps(
                draw(st.text(st.characters(codec="utf-8"), min_size=1, max_size=40).filter(str.strip))
            )
        parts.append(f"{_dumps(name)}: {token}")
    for extra, value in draw(st.dictionaries(odd_text, json_value, max_size=2)).items():
        parts.append(f"{_dumps(extra)}: {_dumps(value)}")
    order = draw(st.permutations(parts))
    return "{" + ", ".join(order) + "}"


body_bytes = st.one_of(
    product_document().map(str.encode),
    json_value.map(lambda value: _dumps(value).encode()),  # arrays, strings, numbers, null, objects
    product_document().map(lambda text: text[: len(text) // 2].encode()),  # truncated JSON
    st.binary(max_size=200),  # not UTF-8, not JSON
    st.text(max_size=100).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.integers(min_value=WRITER_BODY_LIMIT - 50, max_value=WRITER_BODY_LIMIT * 4).map(
        lambda size: ('{"name": "' + "x" * size + '", "price": 1, "category": "big"}').encode()
    ),
    st.just(b""),
)
content_types = st.one_of(
    st.just("application/json"),
    st.sampled_from(
        [
            "",
            "application/json; charset=utf-8",
            "application/problem+json",
            "text/plain",
            "text/json",
            "application/xml",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/octet-stream",
            "application/jsonx",
            "APPLICATION/JSON",
        ]
    ),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40),
)
# Mostly JSON for the body tests, so that most bodies reach the parser rather than the 415 check.
body_content_types = st.one_of(st.just("application/json"), content_types)
idempotency_keys = st.one_of(
    st.none(),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300),
    st.text(
        st.characters(min_codepoint=0xA0, max_codepoint=0xFF), min_size=1, max_size=5
    ),  # latin-1, not ASCII
)
path_segments = st.one_of(
    st.uuids().map(str),
    st.text(max_size=40).map(lambda text: quote(text.encode("utf-8", "surrogatepass"), safe="")),
    st.sampled_from(["", "..", "%2e%2e", "00000000-0000-0000-0000-000000000000", "a/b", "x" * 300]),
)
paths = st.one_of(
    st.just("/products"),
    path_segments.map(lambda segment: f"/products/{segment}"),
    st.sampled_from(["/", "/products/", "/product", "/products/x/y", "/PRODUCTS", "/products?x=1"]),
    path_segments.map(lambda segment: f"/{segment}"),
)
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])


# -- checks -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]
    sign: bool = True


def _headers(content_type: str, **optional: str | None) -> dict[str, str]:
    return {"content-type": content_type} | {
        name: value for name, value in optional.items() if value is not None
    }


@dataclass
class Ledger:
    """What the requests of one test did: how many were sent, and which products a 2xx answer changed."""

    sent: int = 0
    changed: set[str] = field(default_factory=set)


def snapshot(stack: Stack) -> dict[str, dict[str, Any]]:
    items: dict[str, dict[str, Any]] = {}
    kwargs: dict[str, Any] = {"TableName": stack.outputs["table_name"], "ConsistentRead": True}
    while True:
        page = stack.aws("dynamodb").scan(**kwargs)
        items.update({item["PK"]["S"].removeprefix("Product#"): item for item in page["Items"]})
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.fixture
def ledger(stack: Stack) -> Iterator[Ledger]:
    """Fails the test if any product changed that no 2xx answer accounts for."""
    before = snapshot(stack)
    ledger = Ledger()
    yield ledger
    after = snapshot(stack)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert changed <= ledger.changed, f"changed without a 2xx answer: {sorted(changed - ledger.changed)}"


@pytest.fixture(scope="module")
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(CONCURRENCY) as executor:
        yield executor


def send_all(stack: Stack, pool: ThreadPoolExecutor, requests: list[Request], ledger: Ledger) -> None:
    """Sends one example's requests at once (the API serves them in parallel), then checks each answer."""
    responses = list(
        pool.map(lambda r: stack.request(r.method, r.path, r.body, headers=r.headers, sign=r.sign), requests)
    )
    for request, response in zip(requests, responses, strict=True):
        event(f"{request.method} {response.status}")
        check(request, response, ledger)


def check(request: Request, response: Response, ledger: Ledger) -> None:
    ledger.sent += 1
    context = (request, response.status, response.body[:300])
    assert response.status < 500, context
    if not request.sign:  # refused by the route's AWS_IAM authorization, or no route at all
        assert response.status in (403, 404), context
    if 400 <= response.status < 500:
        error = json.loads(response.body)
        assert isinstance(error, dict), context
        assert isinstance(error.get("message"), str), context
        assert error["message"], context
    elif 200 <= response.status < 300:
        # Only these answers may change the table: a created, replaced or deleted product.
        if request.method == "POST" and response.status == 201:
            created = response.json()
            assert set(created) >= {"id", "name", "price", "category", "version"}, context
            assert not (isinstance(created["price"], float) and math.isnan(created["price"])), context
            ledger.changed.add(created["id"])
        elif request.method in ("PUT", "DELETE"):
            ledger.changed.add(request.path.rsplit("/", 1)[-1])


@pytest.fixture(scope="module")
def target(stack: Stack) -> str:
    """A product that the PUT fuzz aims at, so that a rejected replacement would show in the table."""
    response = stack.request("POST", "/products", {"name": "fuzz target", "price": 1, "category": "fuzz"})
    assert response.status == 201, response.body
    return str(response.json()["id"])


def batches(request: st.SearchStrategy[Request]) -> st.SearchStrategy[list[Request]]:
    return st.lists(request, min_size=CONCURRENCY, max_size=CONCURRENCY)


# -- tests --------------------------------------------------------------------------------------------------


def test_generated_post_bodies(stack: Stack, ledger: Ledger, pool: ThreadPoolExecutor) -> None:
    post = st.builds(
        Request,
        method=st.just("POST"),
        path=st.just("/products"),
        body=body_bytes,
        headers=body_content_types.map(_headers),
    )

    @settings(FUZZ, max_examples=POST_REQUESTS // CONCURRENCY)
    @given(requests=batches(post))
    def run(requests: list[Request]) -> None:
        send_all(stack, pool, requests, ledger)

    run()
    assert ledger.sent >= POST_REQUESTS


def test_generated_put_bodies(stack: Stack, ledger: Ledger, pool: ThreadPoolExecutor, target: str) -> None:
    put = st.builds(
        Request,
        method=st.just("PUT"),
        path=st.just(f"/products/{target}"),
        body=body_bytes,
        headers=st.builds(
            _headers, body_content_types, **{"if-match": st.sampled_from([None, '"1"', "*", "x", '"99"'])}
        ),
    )

    @settings(FUZZ, max_examples=PUT_REQUESTS // CONCURRENCY)
    @given(requests=batches(put))
    def run(requests: list[Request]) -> None:
        send_all(stack, pool, requests, ledger)

    run()
    assert ledger.sent >= PUT_REQUESTS


def test_generated_requests_of_any_method_path_and_headers(
    stack: Stack, ledger: Ledger, pool: ThreadPoolExecutor
) -> None:
    anything = st.builds(
        Request,
        method=methods,
        path=paths,
        body=st.none() | body_bytes,
        headers=st.builds(_headers, content_types, **{"idempotency-key": idempotency_keys}),
        sign=st.sampled_from([True, True, True, False]),
    )

    @settings(FUZZ, max_examples=ANY_REQUESTS // CONCURRENCY)
    @given(requests=batches(anything))
    def run(requests: list[Request]) -> None:
        send_all(stack, pool, requests, ledger)

    run()
    assert ledger.sent >= ANY_REQUESTS


def test_a_valid_product_still_gets_201(stack: Stack) -> None:
    # The fuzz above could pass by refusing everything; the same API accepts a valid product.
    name = f"fuzz-{uuid.uuid4().hex[:8]}"
    response = stack.request("POST", "/products", {"name": name, "price": 0.5, "category": "fuzz"})
    assert response.status == 201, response.body
    assert response.json()["name"] == name
