"""Hostile answers (issue 16, items 2 to 5): each against a small ``aiohttp.web`` server written
here, through the public API.

* Writes once with any session: a caller-owned session does not resend a write after the
  server drops a reused keep-alive connection (aiohttp resends ``PUT`` and ``DELETE``).
* Echoed secrets: an error body that echoes the request's access key, signature and timestamp
  (as sent, JSON-escaped, URL-encoded) shows none of them anywhere the caller or a log can see.
* Media Intelligence 200s with an error ``code`` are the ``ApiError`` the code maps to.
* Bodyless requests send no ``Content-Type``; each request sends exactly what the documents show.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import traceback
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from _clocks import Recorder
from _hostile_server import ACCESS_KEY, SECRET_KEY, Hostile, drop, hostile
from aiohttp import web
from click.testing import CliRunner

import ncp_media_async as ncp
from ncp_media_async._signing import Signer
from ncp_media_async.cli._app import cli

REF = ncp.AssetRef("ws", 7, 5)
STATISTICS = {"content": {"waiting": 1, "running": 2}}

# -- item 2: writes once with any session --------------------------------------------------------


def answer_reads_drop_writes(counted: list[str]) -> Any:
    """Answers every ``GET`` (keep-alive), and closes the connection under every other request
    without answering."""

    async def handler(request: web.Request, before: int) -> web.StreamResponse:
        if request.method == "GET":
            return web.json_response(STATISTICS)
        counted.append(f"{request.method} {request.path}")
        return drop(request)

    return handler


async def test_writes_through_a_caller_session_arrive_once_after_a_dropped_connection() -> None:
    """0.2.0 sent ``add_files`` and ``start_recording`` twice through a caller's session: aiohttp
    resends an idempotent method (``PUT`` included) when a connection breaks under it."""
    writes: list[str] = []
    async with (
        hostile(answer_reads_drop_writes(writes)) as server,
        aiohttp.ClientSession() as session,
        server.client(session=session) as client,
    ):
        # A read first: its keep-alive connection is the one the write reuses.
        assert (await client.vod_station.status_statistics()).running == 2
        with pytest.raises(ncp.AddFilesError) as added:
            await client.vod_station.add_files(7, bucket="in", paths=["a.mp4"])
        assert isinstance(added.value.error, ncp.OutcomeUnknownError)
        assert added.value.uncertain == ("a.mp4",)

        assert (await client.vod_station.status_statistics()).running == 2
        with pytest.raises(ncp.OutcomeUnknownError, match="server disconnected"):
            await client.live_station.start_recording("ls-1")

        # The session still serves its owner's own requests, and the client's reads.
        async with session.get(f"{server.url}/mine") as mine:
            assert (mine.status, await mine.json()) == (200, STATISTICS)
        assert (await client.vod_station.status_statistics()).running == 2
    assert writes == [
        "PUT /api/v2/category/7/add-files",
        "PUT /api/v2/channels/ls-1/startRecord",
    ]  # each once


# -- item 3: echoed secrets ------------------------------------------------------------------------


def echoed(request: web.Request) -> str:
    """The request's credential headers as a server or proxy might quote them: as received and
    URL-encoded (and, in a JSON body written by such a server, with ``/`` as ``\\/``); short
    enough that even an excerpt of 200 characters would show them all."""
    timestamp, access_key, signature = (
        request.headers.get(name, "")
        for name in ("x-ncp-apigw-timestamp", "x-ncp-iam-access-key", "x-ncp-apigw-signature-v2")
    )
    return f"{timestamp} {access_key} {signature} {quote(signature, safe='')}"


def as_json(value: Any) -> bytes:
    """JSON with every ``/`` escaped as ``\\/`` (as PHP and some Java encoders write it)."""
    return json.dumps(value).replace("/", "\\/").encode()


#: What the server answers, by case: HTTP status, the body made of the echo, its content type.
ECHOES: dict[str, tuple[int, Callable[[str], bytes], str]] = {
    "gateway 400": (
        400,
        lambda e: as_json({"error": {"errorCode": "100", "message": e, "details": e}}),
        "application/json",
    ),
    "live 400": (
        400,
        lambda e: as_json({"error": {"errorCode": 250002, "message": e, "errorName": e}}),
        "application/json",
    ),
    "media_ai 400": (400, lambda e: as_json({"code": "10001", "message": e}), "application/json"),
    "media_ai 200 refusal": (
        200,
        lambda e: as_json({"code": "10016", "message": e, "result": None}),
        "application/json",
    ),
    "proxy 502 page": (
        502,
        lambda e: f"<html><body><h1>502</h1><pre>{e}</pre></body></html>".encode(),
        "text/html",
    ),
    "unreadable 200": (200, lambda e: f"<html><p>{e}</p></html>".encode(), "text/html"),
    "unreadable 200 json": (200, lambda e: as_json({"content": e}), "application/json"),
    "200 of the wrong type": (
        200,
        lambda e: as_json({"content": {"waiting": e}}),
        "application/json",
    ),
}


def echo_server(case: str) -> Any:
    status, body, content_type = ECHOES[case]

    async def handler(request: web.Request, before: int) -> web.StreamResponse:
        return web.Response(status=status, body=body(echoed(request)), content_type=content_type)

    return handler


def signing_moment(method: str, path: str) -> float:
    """A moment (epoch seconds) at which the signature of ``method path`` holds a ``/`` (so
    that its JSON-escaped form differs from the raw one)."""
    signer = Signer(ACCESS_KEY, SECRET_KEY)
    for ms in range(1_755_590_400_000, 1_755_590_401_000):
        if "/" in signer.headers(method, path, ms)["x-ncp-apigw-signature-v2"]:
            return ms / 1000
    raise AssertionError("no signature with a '/'")


def secrets_of(server: Hostile) -> set[str]:
    """Every credential value the server received, in every form it was echoed in."""
    found = set()
    for seen in server.seen:
        for name in ("x-ncp-iam-access-key", "x-ncp-apigw-signature-v2", "x-ncp-apigw-timestamp"):
            value = seen.headers[name]
            found |= {value, value.replace("/", "\\/"), quote(value, safe="")}
    found |= {SECRET_KEY}
    return found


def assert_none_in(secrets: set[str], texts: dict[str, str]) -> None:
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} in {where}: {text!r}"


CALLS: dict[str, tuple[str, str, Callable[[ncp.MediaClient], Awaitable[Any]]]] = {
    "gateway 400": ("GET", "/api/v2/status/status-statistic",
                    lambda c: c.vod_station.status_statistics()),
    "live 400": ("PUT", "/api/v2/channels/ls-1/startRecord",
                 lambda c: c.live_station.start_recording("ls-1")),
    "media_ai 400": ("GET", "/api/v1/workspaces/ws", lambda c: c.media_ai.workspace("ws")),
    "media_ai 200 refusal": ("GET", "/api/v1/workspaces/ws",
                             lambda c: c.media_ai.workspace("ws")),
    "proxy 502 page": ("GET", "/api/v2/status/status-statistic",
                       lambda c: c.vod_station.status_statistics()),
    "unreadable 200": ("GET", "/api/v2/status/status-statistic",
                       lambda c: c.vod_station.status_statistics()),
    "unreadable 200 json": ("GET", "/api/v1/workspaces/ws", lambda c: c.media_ai.workspace("ws")),
    "200 of the wrong type": ("GET", "/api/v2/status/status-statistic",
                              lambda c: c.vod_station.status_statistics()),
}  # fmt: skip


@pytest.mark.parametrize("case", list(ECHOES))
async def test_an_error_body_echoing_the_credentials_shows_none_of_them(
    case: str, caplog: pytest.LogCaptureFixture
) -> None:
    """0.2.0 quoted the access key and the signature in ``str``, ``repr`` and ``details``."""
    method, path, call = CALLS[case]
    events: list[ncp.AttemptEvent] = []
    caplog.set_level(logging.DEBUG)
    moment = signing_moment(method, path)
    async with (
        hostile(echo_server(case)) as server,
        server.client(
            max_retries=1, clock=lambda: moment, on_attempt=events.append, sleep=Recorder().sleep
        ) as client,
    ):
        with pytest.raises(ncp.NcpError) as info:
            await call(client)
    error = info.value
    assert_none_in(
        secrets_of(server),
        {
            "str": str(error),
            "repr": repr(error),
            "traceback": "".join(traceback.format_exception(error)),
            "attributes": repr(vars(error)),
            "log": caplog.text,
            "on_attempt": repr(events),
        },
    )
    # The body did quote them, in every form (the test would prove nothing otherwise).
    assert any("/" in s.headers["x-ncp-apigw-signature-v2"] for s in server.seen)
    shown = getattr(error, "message", None) or getattr(error, "excerpt", "")
    assert shown.count("<hidden>") == 4, shown
    assert events and len(caplog.records) >= len(events)  # the DEBUG lines were there to check


@pytest.mark.parametrize(
    ("case", "args"),
    [
        ("gateway 400", ["statistics"]),
        ("proxy 502 page", ["-v", "statistics"]),
        ("unreadable 200", ["-v", "statistics"]),
        ("200 of the wrong type", ["-v", "statistics"]),
        ("live 400", ["-v", "record", "start", "ls-1"]),
        ("media_ai 200 refusal", ["-v", "import-status", "ws", "7", "5"]),
    ],
)
async def test_the_command_line_shows_no_echoed_credential(case: str, args: list[str]) -> None:
    async with hostile(echo_server(case)) as server:
        env = {"NCP_ACCESS_KEY": ACCESS_KEY, "NCP_SECRET_KEY": SECRET_KEY, "COLUMNS": "200"}
        result = await asyncio.to_thread(
            CliRunner().invoke, cli, ["--endpoint", server.url, "--max-retries", "0", *args],
            env=env, catch_exceptions=False,
        )  # fmt: skip
    assert_none_in(secrets_of(server), {"stdout": result.stdout, "stderr": result.stderr})
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("error: ")
    assert "<hidden>" in result.stderr  # the body was quoted, and its secrets hidden


async def test_a_transport_error_quoting_the_url_shows_no_query() -> None:
    """A header line over aiohttp's limit: aiohttp's error quotes the whole URL, query
    included (``..., url='http://.../channels?pageNo=1&...'``); 0.2.0 passed it on."""

    async def handler(request: web.Request, before: int) -> web.StreamResponse:
        return web.json_response({"content": []}, headers={"X-Padding": "x" * 20_000})

    events: list[ncp.AttemptEvent] = []
    async with (
        hostile(handler) as server,
        server.client(max_retries=0, on_attempt=events.append) as client,
    ):
        with pytest.raises(ncp.TransportError) as info:
            await client.vod_station.channels(page_size=20).to_list()
    assert server.seen[0].query == "pageNo=1&pageSizeNo=20"
    assert "Got more than 8190 bytes" in str(info.value)  # aiohttp's own message, quoted
    text = f"{info.value} {info.value!r} {events!r}"
    assert "GET /api/v2/channels" in text  # it says which request ...
    assert not re.search(r"pageNo|pageSizeNo|\?[^…]", text), text  # ... and no query


# -- item 4: Media Intelligence 200s with an error code -------------------------------------------


def media_ai_answers(code: str) -> Any:
    async def handler(request: web.Request, before: int) -> web.StreamResponse:
        body = {"code": code, "message": "The request is not valid.", "result": None}
        return web.json_response(body)

    return handler


@pytest.mark.parametrize(
    ("code", "raised"), [("10016", ncp.BadRequestError), ("77777", ncp.ApiError)]
)
@pytest.mark.parametrize("call", ["read", "write", "write without a result"])
async def test_a_media_ai_200_with_an_error_code_is_that_api_error_and_not_retried(
    code: str, raised: type[ncp.ApiError], call: str
) -> None:
    """0.2.0 raised ``ResponseError`` for a read (and retried it: a body it could not read)
    and for ``import_asset`` (about a missing asset id), and took ``cancel_index`` for done."""
    async with hostile(media_ai_answers(code)) as server, server.client() as client:
        mi = client.media_ai
        with pytest.raises(ncp.ApiError) as info:
            if call == "read":
                await mi.import_status_of(REF)
            elif call == "write":
                await mi.import_asset("ws", 7, bucket="in", key="a.mp4")
            else:
                await mi.cancel_index(REF)
    error = info.value
    assert type(error) is raised
    assert (error.status, error.code, error.message) == (200, code, "The request is not valid.")
    assert error.service == "media_ai"
    assert len(server.seen) == 1  # a refusal: not retried


# -- item 8: inputs listed twice ----------------------------------------------------------------


async def test_an_input_listed_twice_is_sent_once_before_the_inputs_are_cut_in_hundreds() -> None:
    """Each of 125 paths listed twice (the list given twice) and one URL 150 times: 125
    encodings in two requests (100 and 25, in first-listed order), then one, and one job per
    distinct input. 0.2.0 sent every copy (250 inputs in three requests, then 150: 400
    encodings); ``import_assets`` already imported a key listed twice once, which the docstring
    of ``add_files`` cites."""
    inputs: list[list[str]] = []

    async def handler(request: web.Request, before: int) -> web.StreamResponse:
        body = await request.json()
        if "key" in body:  # an import
            inputs.append([body["key"]])
            return web.json_response({"code": "0", "result": {"assetId": before}})
        listed = body.get("pathList") or body["httpDownloadUrlList"]
        inputs.append(listed)
        ids = [{"id": before * 1000 + i} for i in range(len(listed))]
        return web.json_response({"content": ids})

    paths = [f"in/v{n:03d}.mp4" for n in range(125)]
    url = "https://cdn.example/a.mp4"
    async with hostile(handler) as server, server.client() as client:
        jobs = await client.vod_station.add_files(7, bucket="in", paths=[*paths, *paths])
        from_url = await client.vod_station.add_files(7, urls=[url] * 150)
        refs = [r async for r in client.media_ai.import_assets(
            "ws", 7, bucket="in", keys=["a.mp4", "b.mp4", "a.mp4"], concurrency=1)]  # fmt: skip
    assert [len(chunk) for chunk in inputs] == [100, 25, 1, 1, 1]
    assert [*inputs[0], *inputs[1]] == paths and inputs[2] == [url]
    assert [job.input_path for job in jobs] == paths
    assert [job.file_id for job in jobs[98:102]] == [98, 99, 1000, 1001]
    assert [job.input_path for job in from_url] == [url]
    assert sorted(ref.key or "" for ref in refs) == ["a.mp4", "b.mp4"]
    assert len(server.seen) == 5


# -- item 5: exactly the Content-Type the documents show -----------------------------------------

#: (call, method, path end, the Content-Type the documents' curl sends or None)
REQUESTS: list[tuple[Callable[[ncp.MediaClient], Awaitable[Any]], str, str, str | None]] = [
    (lambda c: c.vod_station.start_channel("vs-1"), "PUT", "/channels/vs-1/start", None),
    (lambda c: c.vod_station.stop_channel("vs-1"), "PUT", "/channels/vs-1/stop", None),
    (lambda c: c.live_station.start_recording("ls-1"), "PUT", "/startRecord", None),
    (lambda c: c.live_station.stop_recording("ls-1"), "PUT", "/stopRecord", None),
    (lambda c: c.media_ai.cancel_index(REF), "POST", "/index/cancel", None),
    (lambda c: c.vod_station.add_files(7, bucket="b", paths=["a.mp4"]), "PUT", "/add-files",
     "application/json"),
    (lambda c: c.live_station.set_callback_endpoint("https://h.example/cb"), "POST",
     "/callbackEndpoint", "application/json"),
    (lambda c: c.media_ai.import_asset("ws", 7, bucket="b", key="a.mp4"), "POST",
     "/object-storage", "application/json"),
    (lambda c: c.live_station.channel("ls-1"), "GET", "/channels/ls-1", "application/json"),
    (lambda c: c.media_ai.workspace("ws"), "GET", "/workspaces/ws", "application/json"),
    (lambda c: c.media_ai.delete_index(REF), "DELETE", "/assets/5/index", "application/json"),
    (lambda c: c.vod_station.channel("vs-1"), "GET", "/channels/vs-1", None),
    (lambda c: c.vod_station.status_statistics(), "GET", "/status-statistic", None),
]  # fmt: skip


async def refuse(request: web.Request, before: int) -> web.StreamResponse:
    """Every request refused (not retried): only what arrived matters."""
    return web.json_response({"error": {"errorCode": "100", "message": "no"}}, status=400)


async def test_each_request_sends_the_content_type_its_document_shows() -> None:
    """0.2.0 sent ``application/octet-stream`` on a VOD channel start or stop and
    ``application/json`` on Live Station ``startRecord`` (with no body)."""
    async with hostile(refuse) as server, server.client() as client:
        for call, _, _, _ in REQUESTS:
            with pytest.raises(ncp.BadRequestError):
                await call(client)
    got = [(s.method, s.path, s.headers.get("Content-Type")) for s in server.seen]
    assert len(got) == len(REQUESTS)
    for (method, path, content_type), (_, wanted_method, end, wanted) in zip(
        got, REQUESTS, strict=True
    ):
        assert (method, path.endswith(end), content_type) == (wanted_method, True, wanted), path
    bodyless = [s for s in server.seen if s.method in ("PUT", "POST") and not s.headers.get(
        "Content-Length", "0").strip("0")]  # fmt: skip
    assert len(bodyless) == 5
