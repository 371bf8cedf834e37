"""An emulator of the NCP media APIs, for tests, benchmarks and demos.

:class:`Emulator` is an :mod:`aiohttp.web` application that serves, under one base URL:

* VOD Station ``GET /api/v2/status``, ``GET /api/v2/status/status-statistic`` and
  ``GET /api/v2/channels/{channelId}/events``;
* Live Station ``GET /api/v2/channels/{channelId}/records`` (with ``x-ncp-region_code``);
* Media AI ``GET /api/v1/workspaces/{w}/projects/{p}/video-assets/{a}/import-status``.

It checks signature v2 as the API Gateway does, answers in each service's own error dialect,
reproduces the documents' quirks (string counts, ``"-"`` URLs, a record *map*, seconds vs
milliseconds), lets encodings progress with its clock and imports progress with each poll,
counts what it sees (:class:`EmulatorStats`) and injects faults reproducibly
(:class:`FaultPlan`, :class:`Fault`).

Run it with :class:`EmulatorServer` (``async with``), from the command line with
``python -m ncp_media_async.testing --port 8080``, or use the pytest fixtures
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

from ._app import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    Emulator,
    EmulatorStats,
    ManualClock,
    Route,
)
from ._data import WORK_START_KEY, ImportAsset, ProgressingEncoding, Scenario
from ._faults import BODY_FAULTS, DEFAULT_FAULT_KINDS, GATEWAY_FAULTS, Fault, FaultPlan
from ._server import EmulatorServer

__all__ = [
    "BODY_FAULTS",
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_FAULT_KINDS",
    "DEFAULT_SECRET_KEY",
    "GATEWAY_FAULTS",
    "WORK_START_KEY",
    "Emulator",
    "EmulatorServer",
    "EmulatorStats",
    "Fault",
    "FaultPlan",
    "ImportAsset",
    "ManualClock",
    "ProgressingEncoding",
    "Route",
    "Scenario",
]


def _under_pytest() -> bool:
    # Only define the fixtures inside a pytest run (so the CLI and benchmarks never pay for
    # importing pytest) and only when pytest-asyncio is there to run the async ones.
    return "pytest" in sys.modules and importlib.util.find_spec("pytest_asyncio") is not None


if _under_pytest():
    from ._plugin import ncp_client, ncp_emulator, ncp_emulator_server, ncp_scenario

    __all__ += ["ncp_client", "ncp_emulator", "ncp_emulator_server", "ncp_scenario"]
