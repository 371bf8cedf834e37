"""The four error dialects, classification by code and by status, and secret-free messages."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime

import pytest

import ncp_media_async as ncp
from ncp_media_async.errors import error_from_response, excerpt, shorten

NOW = 1_764_590_400.0  # 2025-12-01 12:00:00 UTC


def err(status: int, body: object, **kw: object) -> ncp.ApiError:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    kw.setdefault("now", NOW)
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
        (413, "430", ncp.BadRequestError),
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


def test_live_station_unknown_code_falls_back_to_status() -> None:
    assert type(err(400, {"error": {"errorCode": 250122, "message": "x"}})) is ncp.BadRequestError
    assert type(err(500, {"error": {"errorCode": 250000, "message": "x"}})) is ncp.ServerError


def test_media_ai_dialect() -> None:
    e = err(400, {"code": "10001", "message": "Invalid Request"}, service="media_ai")
    assert type(e) is ncp.BadRequestError
    assert (e.code, e.message) == ("10001", "Invalid Request")


def test_a_bare_message_without_a_code_is_the_message() -> None:
    e = err(403, {"message": "Forbidden by policy", "details": "ip not allowed"})
    assert type(e) is ncp.PermissionDeniedError
    assert (e.code, e.message, e.details) == (None, "Forbidden by policy", "ip not allowed")


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


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        # 429 and 5xx win over whatever the code names: they are retried by status.
        (429, "260004", ncp.RateLimitError),
        (429, "200", ncp.RateLimitError),
        (503, "260004", ncp.ServerError),
        (503, "400", ncp.ServerError),
        (500, "10001", ncp.ServerError),
        (502, "250100", ncp.ServerError),
        # Below that, a known code wins over the status.
        (400, "250100", ncp.NotFoundError),
        (400, "250004", ncp.NotFoundError),
        (400, "250123", ncp.NotFoundError),
        (400, "250010", ncp.PermissionDeniedError),
        (400, "250015", ncp.PermissionDeniedError),
        (400, "250017", ncp.PermissionDeniedError),
        (400, "250101", ncp.ConflictError),
        (400, "250134", ncp.ConflictError),
        (400, "250135", ncp.ConflictError),
        (400, "250136", ncp.ConflictError),
        (400, "250137", ncp.ConflictError),
        (400, "250507", ncp.ConflictError),
        (400, "250701", ncp.NotFoundError),
        (400, "260022", ncp.ConflictError),
        (400, "260023", ncp.ConflictError),
        (404, "260025", ncp.BadRequestError),
        (401, "300", ncp.NotFoundError),
        (200, "200", ncp.AuthenticationError),
        # Unknown codes fall back to the status.
        (400, "250999", ncp.BadRequestError),
        (404, "999999", ncp.NotFoundError),
        (409, "12345", ncp.ConflictError),
        (418, "12345", ncp.ApiError),
        (501, None, ncp.ServerError),
    ],
)
def test_status_and_code_that_disagree(status: int, code: str | None, cls: type) -> None:
    e = err(status, {"error": {"errorCode": code, "message": "m"}} if code else b"")
    assert type(e) is cls
    assert e.status == status


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": 260004, "message": "not found"}},  # older VOD Station pages
        {"error": {"code": "260004", "message": "not found"}},
        {"error": {"errorCode": 260004, "message": "not found"}},
        {"responseError": {"code": "260004", "message": "not found"}},
    ],
)
def test_code_under_every_documented_key(body: object) -> None:
    e = err(400, body)
    assert type(e) is ncp.NotFoundError
    assert (e.code, e.message) == ("260004", "not found")


def test_media_intelligence_409_is_a_conflict_whatever_its_code() -> None:
    e = err(409, {"code": "10409", "message": "Cannot cancel analysis in the current state"})
    assert type(e) is ncp.ConflictError
    assert e.code == "10409"


def test_texts_from_a_server_are_bounded() -> None:
    e = err(400, {"error": {"errorCode": "100", "message": "m" * 100_000,
                            "details": "d " * 100_000}})
    assert len(e.message) <= 500
    assert e.details is not None
    assert len(e.details) <= 500
    assert len(str(e)) <= 1200
    assert len(err(502, b"<" * 1_000_000).message) <= 200


def test_deep_nesting_in_an_error_body_is_just_unreadable() -> None:
    e = err(400, b"[" * 100_000 + b"]" * 100_000)
    assert type(e) is ncp.BadRequestError
    assert e.code is None


def test_unknown_retry_after_on_503_and_negative_values() -> None:
    assert err(503, b"", retry_after="5").retry_after == 5.0
    assert err(503, b"", retry_after="-5").retry_after is None
    assert err(400, b"", retry_after="5").retry_after == 5.0  # kept; only 429/503 honour it


@pytest.mark.parametrize(
    "error",
    [
        ncp.TransportError("timed out", host="h", request="GET /x", attempts=3),
        ncp.OutcomeUnknownError("broke", host="h", request="POST /x", attempts=1),
        ncp.ResponseError("bad", excerpt="<html>", request="GET /x"),
        ncp.BodyTooLargeError("big", excerpt="", request="GET /x"),
        ncp.ConflictError("busy", status=409, code="1", service="media_ai", request="POST /x"),
    ],
)
def test_every_error_pickles_whole(error: ncp.NcpError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert back.__dict__ == error.__dict__


def test_excerpt_shows_unprintable_bytes_as_dots_on_one_line() -> None:
    text = excerpt(b"\x00" * 1000 + b"\x1b[31mred")
    assert len(text) <= 200
    assert set(text) <= {"·", "…"}
    assert excerpt(b"ok\x07 \x1b[0m done") == "ok· ·[0m done"


def test_shorten_keeps_exactly_the_limit() -> None:
    assert shorten("x" * 500) == "x" * 500
    assert shorten("x" * 501) == "x" * 499 + "…"
    assert len(shorten("y" * 10_000)) == 500


def test_str_and_repr_with_nothing_but_a_message() -> None:
    bare = ncp.ApiError("m", status=502)
    assert bare.args == ("m",)
    assert str(bare) == "HTTP 502: m"
    assert repr(bare) == "ApiError(status=502, code=None, message='m', service='', request='')"
    coded = ncp.ServerError("down", status=503, code="500", service="vod_station",
                            request="GET /api/v2/status")
    assert str(coded) == "HTTP 503 code 500: down (vod_station: GET /api/v2/status)"


def test_transport_error_str_names_what_it_has() -> None:
    assert str(ncp.TransportError("timed out")) == "timed out (1 attempt)"
    assert str(ncp.TransportError("timed out", attempts=3)) == "timed out (3 attempts)"
    full = ncp.TransportError("server disconnected", host="h:1", request="GET /x", attempts=2)
    assert str(full) == "server disconnected (GET /x on h:1, 2 attempts)"
    assert (full.host, full.request, full.attempts) == ("h:1", "GET /x", 2)


def test_response_error_str_names_what_it_has() -> None:
    bare = ncp.ResponseError("body is not valid JSON")
    assert str(bare) == "body is not valid JSON"
    assert (bare.excerpt, bare.request) == ("", "")
    full = ncp.ResponseError("body is not valid JSON", excerpt="<html>", request="GET /x")
    assert str(full) == "body is not valid JSON (GET /x); body starts: '<html>'"
    assert (full.excerpt, full.request) == ("<html>", "GET /x")


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ('{"streamKey": "abc-123", "x": 1}', '{"streamKey": "<hidden>", "x": 1}'),
        ("{'backupStreamKey': 'abc-123'}", "{'backupStreamKey': '<hidden>'}"),
        ("{'streamKey': abc-123, 'x': 1}", "{'streamKey': \"<hidden>\", 'x': 1}"),  # bare
        ('{"streamKey": "abc-1', '{"streamKey": "<hidden>"'),  # cut off by the excerpt's end
    ],
)
def test_excerpts_hide_stream_keys_in_every_form(body: str, shown: str) -> None:
    assert excerpt(body) == shown


def test_add_files_error_says_what_became_of_each_input() -> None:
    since = datetime(2026, 12, 1, tzinfo=UTC)
    quiet = ncp.AddFilesError(category_id=7, since=since, rejected=["a.mp4", "b.mp4"])
    assert str(quiet) == "add_files to category 7 stopped (0 submitted, 2 rejected)"
    loud = ncp.AddFilesError(
        category_id=7, since=since, uncertain=["c.mp4"], unsent=["d.mp4"],
        error=ncp.ServerError("down", status=503),
    )
    assert str(loud) == (
        "add_files to category 7 stopped (0 submitted, 1 uncertain (may have been submitted), "
        "1 not sent): ServerError: HTTP 503: down"
    )
