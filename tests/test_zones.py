"""Zones: each zone's hosts, API prefixes and Live Station region code; services a zone lacks."""

from __future__ import annotations

import pytest

import ncp_media_async as ncp
from ncp_media_async.testing import EmulatorServer

CREDS = ncp.Credentials("AKEY", "secret")


def test_public_zone_is_the_default() -> None:
    public = ncp.Endpoints.public()
    assert public == ncp.Endpoints()
    assert public.service_url("vod_station") == "https://vodstation.apigw.ntruss.com/api/v2"
    assert public.service_url("live_station") == "https://livestation.apigw.ntruss.com/api/v2"
    assert public.service_url("media_ai") == "https://mi.apigw.ntruss.com/api/v1"
    assert public.live_station_region == "KR"


def test_government_zone_offers_vod_station_only() -> None:
    gov = ncp.Endpoints.gov()
    assert gov.service_url("vod_station") == "https://vod-station.apigw.gov-ntruss.com/api/v2"
    assert gov.service_url("live_station") is None
    assert gov.service_url("media_ai") is None


def test_financial_zone_prefix_and_region() -> None:
    fin = ncp.Endpoints.fin()
    assert fin.service_url("vod_station") == "https://vodstation.apigw.fin-ntruss.com/api/v2"
    assert fin.service_url("live_station") == "https://livestation.apigw.ntruss.com/api/fin-v2"
    assert fin.service_url("media_ai") is None
    assert fin.live_station_region == "FKR"
    at = ncp.Endpoints.fin(at="http://127.0.0.1:9000/proxy")
    assert at.service_url("live_station") == "http://127.0.0.1:9000/proxy/api/fin-v2"
    assert at.service_url("vod_station") == "http://127.0.0.1:9000/proxy/api/v2"


async def test_a_service_the_zone_lacks_raises_a_clear_error_when_called() -> None:
    async with ncp.MediaClient(CREDS, endpoints=ncp.Endpoints.gov()) as client:
        with pytest.raises(ncp.ConfigurationError, match="Live Station is not offered in the gov"):
            await client.live_station.records("ls-20200313162828-G60tN")
        with pytest.raises(ncp.ConfigurationError, match="Media Intelligence is not offered"):
            await client.media_ai.import_status("ws", "1", "2")
        with pytest.raises(ncp.ConfigurationError, match="Media Intelligence is not offered"):
            client.media_ai.wait_for_imports([ncp.AssetRef("ws", "1", "2")])


async def test_financial_zone_sends_its_prefix(ncp_emulator_server: EmulatorServer) -> None:
    events: list[ncp.AttemptEvent] = []
    endpoints = ncp.Endpoints.fin(at=ncp_emulator_server.url)
    async with ncp.MediaClient(
        ncp_emulator_server.credentials, endpoints=endpoints, on_attempt=events.append,
        max_retries=0,
    ) as client:
        await client.vod_station.status_statistics()  # VOD Station keeps /api/v2 in every zone
        with pytest.raises(ncp.ApiError):
            await client.live_station.records("ls-20200313162828-G60tN")
    assert [e.path for e in events] == [
        "/api/v2/status/status-statistic",
        "/api/fin-v2/channels/ls-20200313162828-G60tN/records",
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"live_station_prefix": "api/v2"},
        {"live_station_prefix": "/api/v2/"},
        {"live_station_prefix": "/api v2"},
        {"live_station_region": "K\nR"},
        {"media_ai": "mi.apigw.ntruss.com"},
    ],
)
def test_zone_settings_are_checked(kwargs: dict[str, str]) -> None:
    with pytest.raises(ncp.ConfigurationError):
        ncp.Endpoints(**kwargs)  # type: ignore[arg-type]


def test_region_code_option_overrides_the_zone() -> None:
    client = ncp.MediaClient(CREDS, endpoints=ncp.Endpoints.fin(), region_code="KR")
    assert client.live_station._service.headers["x-ncp-region_code"] == "KR"
    client = ncp.MediaClient(CREDS, endpoints=ncp.Endpoints.fin())
    assert client.live_station._service.headers["x-ncp-region_code"] == "FKR"


async def test_batches_in_a_zone_without_the_service_fail_before_anything_runs() -> None:
    ref = ncp.AssetRef("ws", "1", "2")
    async with ncp.MediaClient(CREDS, endpoints=ncp.Endpoints.fin()) as client:
        mi = client.media_ai
        for make in (
            lambda: mi.ingest("ws", 1, bucket="b", keys=["a.mp4"]),
            lambda: mi.import_assets("ws", 1, bucket="b", keys=["a.mp4"]),
            lambda: mi.wait_for_indexes([ref]),
            lambda: mi.wait_for_imports([ref]),
        ):
            with pytest.raises(ncp.ConfigurationError, match="not offered in the fin zone"):
                make()  # at the call, not at the first iteration
    async with ncp.MediaClient(CREDS, endpoints=ncp.Endpoints.gov()) as client:
        with pytest.raises(ncp.ConfigurationError, match="Live Station is not offered"):
            await client.live_station.wait_for_channel("ls-20200313162828-G60tN", ["READY"])
