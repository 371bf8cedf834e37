"""An emulator of the NCP media APIs, for tests, benchmarks and demos.

``Emulator`` is an emulated API Gateway in front of one store per service, all under one
base URL:

* ``emulator.vod_station`` (``VodStationStore``): ``GET /api/v2/status``,
  ``GET /api/v2/status/status-statistic``, ``GET /api/v2/channels/{channelId}/events``;
* ``emulator.live_station`` (``LiveStationStore``): channels, their service URLs,
  ``startRecord``/``stopRecord``, records, uploads (with ``x-ncp-region_code``), under
  ``/api/v2`` and the financial zone's ``/api/fin-v2``, and callbacks POSTed to a URL
  (``CallbackDelivery``);
* ``emulator.media_ai`` (``MediaAiStore``): Media Intelligence's workspaces, projects and
  assets (``pageNum``/``pageSize`` lists), imports from Object Storage and their status (on
  ``…/assets/{a}/import-status`` and the deprecated ``…/video-assets/{a}/import-status``),
  analyses (request, status, index, cancel, delete), under ``/api/v1``.

The gateway checks signature v2 as NCP's does (with its own spelling of the protocol, not the
client's), counts what it sees (``EmulatorStats``), injects faults reproducibly
(``FaultPlan``, ``Fault``) and sends every request to its store; VOD Station and Live
Station paths that coincide are told apart by the ``x-ncp-region_code`` header. Each store holds
its data (seeded from a ``Scenario``, or set by a test), its settings
(``status_statistics_as_strings``, ``regions``, ``max_page_size``, ``page_size_cap``...) and
answers in its service's error dialect. The stores reproduce the documents' quirks (string
counts, ``"-"`` URLs, a record *map*, seconds vs milliseconds), let encodings progress with the
emulator's clock and imports and analyses progress with each poll.

Run it with ``EmulatorServer`` (``async with``), from the command line with
``python -m ncp_media_async.testing --port 8080`` (the same launcher and banner as
``ncp-media emulator``: ``LaunchOptions``, ``Banner``), or use the pytest fixtures
``ncp_emulator``, ``ncp_emulator_server`` and ``ncp_client`` (``pytest -p
ncp_media_async.testing``). The fixtures are defined only when pytest and pytest-asyncio are
installed and the package is imported inside a pytest run; the rest of this package needs
neither.

PYTEST_DONT_REWRITE: pytest's entry point loads the plugin, and with it this package, before a
``conftest.py`` naming ``ncp_media_async.testing`` in ``pytest_plugins`` is read; the marker
keeps pytest from warning that the package was imported before its asserts could be rewritten
(it has none meant for pytest).
"""

from __future__ import annotations

import importlib.util
import sys

from ._data import WORK_START_KEY, ImportAsset, ProgressingEncoding, Scenario
from ._faults import (
    BODY_FAULTS,
    DEFAULT_FAULT_KINDS,
    GATEWAY_FAULTS,
    HOSTILE_FAULTS,
    Fault,
    FaultPlan,
)
from ._gateway import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Emulator, ManualClock
from ._launch import Banner, LaunchOptions
from ._live_station import LiveStationError, LiveStationStore
from ._media_ai import MediaAiError, MediaAiStore
from ._quota import Quota, QuotaKeeper
from ._routes import Route
from ._server import EmulatorServer
from ._stats import EmulatorStats
from ._store import Call, CallbackDelivery, Rejection, Store, StoreRoute
from ._vod_station import VodStationError, VodStationStore

__all__ = [
    "BODY_FAULTS",
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_FAULT_KINDS",
    "DEFAULT_SECRET_KEY",
    "GATEWAY_FAULTS",
    "HOSTILE_FAULTS",
    "WORK_START_KEY",
    "Banner",
    "Call",
    "CallbackDelivery",
    "Emulator",
    "EmulatorServer",
    "EmulatorStats",
    "Fault",
    "FaultPlan",
    "ImportAsset",
    "LaunchOptions",
    "LiveStationError",
    "LiveStationStore",
    "ManualClock",
    "MediaAiError",
    "MediaAiStore",
    "ProgressingEncoding",
    "Quota",
    "QuotaKeeper",
    "Rejection",
    "Route",
    "Scenario",
    "Store",
    "StoreRoute",
    "VodStationError",
    "VodStationStore",
]


def _under_pytest() -> bool:
    # Only define the fixtures inside a pytest run (so the CLI and benchmarks never pay for
    # importing pytest) and only when pytest-asyncio is there to run the async ones.
    return "pytest" in sys.modules and importlib.util.find_spec("pytest_asyncio") is not None


if _under_pytest():
    from ._plugin import ncp_client, ncp_emulator, ncp_emulator_server, ncp_scenario

    __all__ += ["ncp_client", "ncp_emulator", "ncp_emulator_server", "ncp_scenario"]
