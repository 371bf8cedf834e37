"""Stream keys are secrets: no repr, str, asdict-to-JSON, log line (DEBUG included), exception
or CLI output shows them unless asked for explicitly."""

from __future__ import annotations

import json
import logging
import pickle
from collections.abc import Iterator

import attrs
import pytest
from _live import Live, serve_raw, served_live
from _loopback import LoopbackEmulator
from click.testing import Result

import ncp_media_async as ncp
from ncp_media_async.errors import excerpt
from ncp_media_async.testing import Emulator, Fault, Route, Scenario

KEY, BACKUP = "sk-MAIN-7f3a9c", "sk-BACKUP-51d0e2"


# ---------------------------------------------------------------------------------- Secret


def test_a_secret_shows_only_when_revealed() -> None:
    secret = ncp.Secret(KEY)
    shown = [repr(secret), str(secret), f"{secret}", "%s" % secret]  # noqa: UP031
    assert shown == ["Secret('<hidden>')", *["<hidden>"] * 3]
    assert KEY not in f"{[secret]} {({'k': secret})}"
    assert secret.reveal() == KEY
    with pytest.raises(TypeError):
        json.dumps(secret)  # not a str: never serialised as its text by accident
    with pytest.raises(TypeError):
        ncp.Secret(1234)  # type: ignore[arg-type]


def test_secrets_compare_by_text() -> None:
    assert ncp.Secret(KEY) == ncp.Secret(KEY) and ncp.Secret(KEY) != ncp.Secret(BACKUP)
    assert ncp.Secret(KEY) != KEY  # a secret is not its text
    assert len({ncp.Secret(KEY), ncp.Secret(KEY)}) == 1
    assert pickle.loads(pickle.dumps(ncp.Secret(KEY))).reveal() == KEY


@pytest.mark.parametrize(
    "body",
    [
        f'{{"channelId":"ls-1","streamKey":"{KEY}","backupStreamKey":"{BACKUP}"}}',
        f"{{'streamKey': '{KEY}', 'backupStreamKey': '{BACKUP}'}}",  # a Python repr
        f'{{"streamKey" : "{KEY[:5]}',  # cut off by the excerpt's end
        f'{{"streamKey":"{KEY}\\"{BACKUP}"}}',  # an escaped quote inside
        f'{{"streamKey":{KEY[3:7]}7,"backupStreamKey":{BACKUP[10:]}}}',  # not quoted
    ],
)
def test_an_excerpt_never_shows_a_stream_key(body: str) -> None:
    for raw in (body, body.encode()):
        shown = excerpt(raw)
        assert "<hidden>" in shown
        for part in (KEY, BACKUP, KEY[:5], KEY[3:7], BACKUP[10:]):
            assert part not in shown


# ------------------------------------------------------------------------- records and logs


async def keyed_channel(live: Live) -> ncp.Channel:
    cid = live.store.add_channel(stream_key=KEY, backup_stream_key=BACKUP)
    return await live.api.channel(cid)


def assert_hidden(text: str) -> None:
    assert KEY not in text and BACKUP not in text


async def test_a_channels_repr_str_and_asdict_hide_the_keys() -> None:
    async with served_live() as live:
        channel = await keyed_channel(live)
        listed = await live.api.channels().to_list()
    assert listed == [channel]
    assert_hidden(repr(channel))
    assert_hidden(str(channel))
    assert "stream_key=Secret('<hidden>')" in repr(channel)
    as_dict = attrs.asdict(channel)
    assert as_dict["stream_key"] == ncp.Secret(KEY)  # the Secret, not its text
    assert_hidden(str(as_dict))
    with pytest.raises(TypeError):
        json.dumps(as_dict)


async def test_debug_logs_and_attempt_events_hide_the_keys(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[ncp.AttemptEvent] = []
    caplog.set_level(logging.DEBUG)  # every logger, aiohttp's included
    async with served_live(on_attempt=events.append) as live:
        channel = await keyed_channel(live)
        logging.getLogger("ncp_media_async").debug("fetched %s", channel)
        await live.api.channels().to_list()
    assert len(events) == 2 and caplog.records
    assert_hidden(caplog.text)
    assert_hidden(repr(events))


@pytest.mark.parametrize(
    "body",
    [
        # the key first, then a field of the wrong type
        f'{{"content": {{"streamKey": "{KEY}", "channelName": 5}}}}'.encode(),
        # the key itself of the wrong type
        b'{"content": {"streamKey": 987654321987, "channelId": "ls-1"}}',
        # cut off: not JSON
        f'{{"content": {{"backupStreamKey": "{BACKUP}", "streamKey": "{KEY}", "cha'.encode(),
    ],
)
async def test_an_unreadable_channel_body_raises_without_the_keys(
    monkeypatch: pytest.MonkeyPatch, body: bytes
) -> None:
    serve_raw(monkeypatch, Route.LIVE_CHANNEL, body)
    async with served_live(max_retries=0) as live:
        with pytest.raises(ncp.ResponseError) as caught:
            await live.api.channel("ls-1")
    error = caught.value
    assert error.excerpt and "<hidden>" in error.excerpt
    for text in (str(error), repr(error), error.excerpt, *map(str, error.args)):
        assert_hidden(text)
        assert "987654321987" not in text


async def test_a_faulted_channel_body_raises_without_the_keys() -> None:
    async with served_live(max_retries=0) as live:
        cid = live.store.add_channel(stream_key=KEY, fields={"channelName": "k"})
        for fault in (Fault.TRUNCATED_JSON, Fault.WRONG_SHAPE, Fault.RESET_MID_BODY):
            live.emulator.force_faults(fault, routes=Route.LIVE_CHANNEL)
            with pytest.raises(ncp.NcpError) as caught:
                await live.api.channel(cid)
            assert_hidden(str(caught.value))
            assert_hidden(repr(caught.value))


# ---------------------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def keyed() -> Iterator[LoopbackEmulator]:
    emulator = Emulator(Scenario.empty())
    emulator.live_station.add_channel(name="keyed", stream_key=KEY, backup_stream_key=BACKUP)
    with LoopbackEmulator(emulator) as loopback:
        yield loopback


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


@pytest.mark.parametrize(
    "args",
    [
        ["live-channels"],
        ["live-channels", "--wide"],
        ["--json", "live-channels"],
        ["-v", "live-channels"],
        ["-vv", "--json", "live-channels", "--status", "READY"],
    ],
)
def test_the_command_line_hides_the_keys(keyed: LoopbackEmulator, args: list[str]) -> None:
    result = ok(keyed.invoke(*args))
    assert "keyed" in result.stdout
    assert_hidden(result.stdout)
    assert_hidden(result.stderr)
    if "--json" in args:
        (line,) = [json.loads(x) for x in result.stdout.splitlines()]
        assert (line["stream_key"], line["backup_stream_key"]) == ("<hidden>", "<hidden>")


def test_the_command_line_shows_the_keys_when_asked(keyed: LoopbackEmulator) -> None:
    table = ok(keyed.invoke("live-channels", "--show-stream-keys", env={"COLUMNS": "80"}))
    assert KEY in table.stdout  # an id column: never cut, even at 80 columns
    assert "stream keys shown" in table.stderr
    (line,) = map(json.loads, ok(keyed.invoke("--json", "live-channels", "--show-stream-keys"))
                  .stdout.splitlines())  # fmt: skip
    assert (line["stream_key"], line["backup_stream_key"]) == (KEY, BACKUP)
