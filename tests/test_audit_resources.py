"""Defects found by auditing the resource modules against the documents (each test failed
before its fix): the service-facing behaviour of VOD Station, Live Station and Media
Intelligence calls, through the public API against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

import ncp_media_async as ncp
from ncp_media_async import media_ai
from ncp_media_async.testing import Emulator, EmulatorServer, Fault, Route, Scenario
from ncp_media_async.testing._wire import json_response

FAST = ncp.RetryPolicy(initial_delay=0.001, max_delay=0.01)


@pytest.fixture
def ncp_scenario() -> Scenario:
    return Scenario.empty()


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts as a fresh process would: no deprecation warned yet."""
    monkeypatch.setattr(media_ai, "_warned", set())


def client_for(server: EmulatorServer, **options: Any) -> ncp.MediaClient:
    options.setdefault("retry", FAST)
    return ncp.MediaClient(server.credentials, endpoints=ncp.Endpoints.at(server.url), **options)


async def _imported(client: ncp.MediaClient, emulator: Emulator, asset_id: int) -> ncp.AssetRef:
    emulator.media_ai.add_import("ws", "7", asset_id, polls=1)
    status = await client.media_ai.import_status("ws", "7", asset_id)
    assert status.asset is not None and isinstance(status.asset, ncp.AssetRef)
    return status.asset


# -- Media Intelligence: start_index(if_running="wait") ------------------------------------------


async def test_waiting_for_a_queued_analysis_does_not_ask_again_and_again(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator
) -> None:
    """Another caller's analysis that the service has not picked up yet (BEFORE_ANALYZE, the
    state ``wait_for_indexes`` polls on for its grace) is waited for at ``interval``: the
    request is not sent again after every poll (a 409 each time, back to back)."""
    ref = await _imported(ncp_client, ncp_emulator, 5)
    ncp_emulator.media_ai.index_pickup_polls = 4  # queued for four polls, then runs
    await ncp_client.media_ai.start_index(ref)  # the other caller's analysis
    await ncp_client.media_ai.start_index(ref, if_running="wait", interval=0.001, timeout=30)
    requests = ncp_emulator.stats.requests
    # The other caller's, ours refused once (409), ours again once that analysis ended.
    assert requests[Route.START_INDEX] == 3
    assert ncp_emulator.media_ai.analyses_requested("ws") == 2


# -- Media Intelligence: cancel_index and delete_index are not sent twice ------------------------


async def test_a_cancel_whose_answer_was_lost_is_not_sent_again(
    ncp_emulator_server: EmulatorServer,
) -> None:
    """The first cancel worked; sending it again would answer 409 ("Cannot cancel analysis in
    the current state") and report a cancel that happened as refused (or cancel an analysis
    started in between)."""
    emulator = ncp_emulator_server.emulator
    async with client_for(ncp_emulator_server) as client:
        ref = await _imported(client, emulator, 5)
        await client.media_ai.start_index(ref)
        emulator.force_faults(Fault.RESET_MID_BODY, routes=Route.CANCEL_INDEX)
        with pytest.raises(ncp.OutcomeUnknownError):
            await client.media_ai.cancel_index(ref)
        assert emulator.stats.requests[Route.CANCEL_INDEX] == 1
        assert emulator.media_ai.index_state("ws", "7", 5) == "ANALYZE_CANCEL"


async def test_a_delete_whose_answer_was_lost_is_not_sent_again(
    ncp_emulator_server: EmulatorServer,
) -> None:
    """The first delete worked; sending it again finds no index (or deletes one made in
    between) and reports a delete that happened as failed."""
    emulator = ncp_emulator_server.emulator
    emulator.media_ai.index_pickup_polls = 0
    async with client_for(ncp_emulator_server) as client:
        ref = await _imported(client, emulator, 5)
        await client.media_ai.start_index(ref)
        async for _ in client.media_ai.wait_for_indexes([ref], interval=0.001):
            pass
        emulator.force_faults(Fault.RESET_MID_BODY, routes=Route.DELETE_INDEX)
        with pytest.raises(ncp.OutcomeUnknownError):
            await client.media_ai.delete_index(ref)
        assert emulator.stats.requests[Route.DELETE_INDEX] == 1
        with pytest.raises(ncp.NotFoundError):
            await client.media_ai.index(ref)  # it was deleted


# -- Live Station: the default callback endpoint when none is set --------------------------------


@pytest.mark.parametrize(
    "body",
    [{"content": None}, {"content": {}}, {"content": {"callbackUrl": None}}],
    ids=["content-null", "content-empty", "url-null"],
)
async def test_no_default_callback_endpoint_in_any_plausible_form(
    ncp_emulator: Emulator, body: Any
) -> None:
    """The documents do not show the answer when no default endpoint is set: each plausible
    one reads as ``callback_url=None``, at the first request."""
    ncp_emulator.live_station._callback_endpoint = (  # type: ignore[method-assign]
        lambda call: json_response(body)
    )
    async with EmulatorServer(ncp_emulator) as server, client_for(server) as client:
        assert await client.live_station.callback_endpoint() == ncp.CallbackEndpoint(None)
    assert ncp_emulator.stats.requests[Route.CALLBACK_ENDPOINT] == 1


# -- Media Intelligence: the ids of a VideoAssetRef are checked like an AssetRef's ---------------


@pytest.mark.parametrize(
    "ref",
    [
        ncp.VideoAssetRef("ws", "7", ".."),
        ncp.VideoAssetRef("ws", "7", ""),
        ncp.VideoAssetRef("..", "7", "5"),
        ncp.VideoAssetRef("ws", ".", "5"),
    ],
    ids=["dot-dot-asset", "empty-asset", "dot-dot-workspace", "dot-project"],
)
async def test_a_video_asset_ref_with_a_dot_or_empty_id_is_refused_before_sending(
    ncp_client: ncp.MediaClient, ncp_emulator: Emulator, ref: ncp.VideoAssetRef
) -> None:
    """A dot segment would change the path on its way (``…/video-assets/../import-status``
    is ``…/projects/7/import-status``), an empty one too: refused as for an ``AssetRef``."""
    with (
        pytest.warns(DeprecationWarning, match="video-assets"),
        pytest.raises(ValueError, match="must not be"),
    ):
        await ncp_client.media_ai.import_status_of(ref)
    with pytest.raises(ValueError, match="must not be"):
        async for _ in ncp_client.media_ai.wait_for_imports([ref], interval=0.001):
            pass
    assert ncp_emulator.stats.total_requests == 0
