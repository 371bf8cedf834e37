"""The four error dialects, classification by code and by status, and secret-free messages."""

from __future__ import annotations

import json
import pickle

import pytest

import ncp_media_async as ncp
from ncp_media_async.errors import error_from_response, excerpt


def err(status: int, body: object, **kw: object) -> ncp.ApiError:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return error_from_response(status, raw, service=str(kw.pop("service", "svc")),
                               request="GET /x", **kw)  # type: ignore[arg-type]


def test_gateway_dialect() -> None:
    e = err(401, {"error": {"errorCode": "200", "message": "Authentication Failed",
                            "details": "Invalid authentication information."}})
    assert type(e) is ncp.AuthenticationError
    assert (e.status, e.code, e.message) == (401, "200", "Authentication Failed")
    assert e.details == "Invalid authentication information."


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "100", ncp.BadRequestError),
        (401, "200", ncp.AuthenticationError),
        (401, "210", ncp.PermissionDeniedError),
        (403, "230", ncp.PermissionDeniedError),
        (404, "300", ncp.NotFoundError),
        (413, "430", ncp.ApiError),
        (429, "400", ncp.RateLimitError),
        (429, "410", ncp.RateLimitError),
        (429, "420", ncp.RateLimitError),
        (503, "500", ncp.ServerError),
        (504, "510", ncp.ServerError),
        (500, "900", ncp.ServerError),
    ],
)
def test_every_gateway_code(status: int, code: str, cls: type[ncp.ApiError]) -> None:
    e = err(status, {"error": {"errorCode": code, "message": "m"}})
    assert type(e) is cls
    assert e.code == code


def test_gateway_numeric_code_becomes_a_string() -> None:
    assert err(401, {"error": {"errorCode": 200, "message": "x"}}).code == "200"


def test_vod_station_dialect() -> None:
    e = err(404, {"error": {"errorCode": "260004", "message": "Channel not found"}},
            service="vod_station")
    assert type(e) is ncp.NotFoundError
    assert (e.code, e.service) == ("260004", "vod_station")
    e = err(400, {"error": {"errorCode": "260025", "message": "pageNo must be >= 1"}})
    assert type(e) is ncp.BadRequestError


def test_live_station_250100_is_not_found_although_sent_as_400() -> None:
    e = err(400, {"error": {"errorCode": 250100, "message": "Channel is not found",
                            "errorName": "EXCEPTION"}}, service="live_station")
    assert isinstance(e, ncp.NotFoundError)
    assert e.status == 400
    assert e.code == "250100"
    assert e.details == "EXCEPTION"
    assert ncp.LIVE_STATION_CODES["250100"] == "Channel is not found"


def test_live_station_unknown_code_falls_back_to_status() -> None:
    assert type(err(400, {"error": {"errorCode": 250122, "message": "x"}})) is ncp.BadRequestError
    assert type(err(500, {"error": {"errorCode": 250000, "message": "x"}})) is ncp.ServerError


def test_media_ai_dialect() -> None:
    e = err(400, {"code": "10001", "message": "Invalid Request"}, service="media_ai")
    assert type(e) is ncp.BadRequestError
    assert (e.code, e.message) == ("10001", "Invalid Request")


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_html_error_pages_are_classified_by_status(status: int) -> None:
    e = err(status, b"<html><body><h1>502 Bad Gateway</h1></body></html>")
    assert isinstance(e, ncp.RateLimitError if status == 429 else ncp.ServerError)
    assert e.code is None
    assert "502 Bad Gateway" in e.message


def test_empty_body() -> None:
    e = err(503, b"")
    assert isinstance(e, ncp.ServerError)
    assert "empty body" in e.message


def test_retry_after_seconds_and_http_date() -> None:
    e = err(429, b"", retry_after="7")
    assert isinstance(e, ncp.RateLimitError)
    assert e.retry_after == 7.0
    e = err(429, b"", retry_after="Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0)
    assert isinstance(e, ncp.RateLimitError)
    assert e.retry_after == pytest.approx(10.0)
    e = err(429, b"", retry_after="soon")
    assert isinstance(e, ncp.RateLimitError)
    assert e.retry_after is None


def test_str_and_repr_name_status_code_and_request() -> None:
    e = err(400, {"error": {"errorCode": 250100, "message": "Channel is not found"}},
            service="live_station")
    assert str(e) == "HTTP 400 code 250100: Channel is not found (live_station: GET /x)"
    assert "NotFoundError" in repr(e)


def test_errors_pickle() -> None:
    e = err(429, b"", retry_after="3")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is ncp.RateLimitError
    assert (back.status, back.retry_after, back.request) == (429, 3.0, "GET /x")


def test_excerpt_is_short_and_single_line() -> None:
    text = excerpt(b"<html>\n" + b"x" * 1000)
    assert len(text) <= 200
    assert "\n" not in text
    assert excerpt(b"\xff\xfe broken") .endswith("broken")


def test_str_carries_the_gateways_reason_but_not_a_bare_error_name() -> None:
    e = err(401, {"error": {"errorCode": "200", "message": "Authentication Failed",
                            "details": "The signature does not match the request."}})
    assert str(e) == (
        "HTTP 401 code 200: Authentication Failed: The signature does not match the request. "
        "(svc: GET /x)"
    )
    named = err(400, {"error": {"errorCode": 250100, "message": "Channel is not found",
                                "errorName": "EXCEPTION"}})
    assert "EXCEPTION" not in str(named)
