"""VOD Station's store: encoding statuses, their statistics, channel events.

Error dialect: the gateway envelope ``{"error": {"errorCode": "2600xx", "message": ...,
"details": ...}}`` with a *string* code (:class:`VodStationError`). Units as the service uses
them: work starts and windows in epoch *milliseconds*, ``lastWorkTime`` ISO 8601 with
``+0900``, channel event ``time`` in epoch *seconds*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from aiohttp import web

from ._data import (
    WORK_START_KEY,
    EncodingStore,
    ProgressingEncoding,
    Scenario,
    encoding_fields,
    generate_channel_events,
    generate_encodings,
    generate_progressing_encodings,
    remove_from_end,
    work_start_of,
)
from ._routes import Route
from ._store import Call, Gateway, ParameterError, Rejection, Store, StoreRoute, int_param
from ._wire import gateway_error, json_response

__all__ = ["VodStationError", "VodStationStore"]

_WINDOW_PARAMS: Final = ("workStartTimeFrom", "workStartTimeTo")


class VodStationError(Rejection):
    """VOD Station's error body: the gateway envelope with a ``2600xx`` *string* code.

    ``{"error": {"errorCode": "260004", "message": "not found", "details": "..."}}``;
    ``details`` is left out when ``None``.
    """

    def __init__(self, status: int, code: str, message: str, details: str | None = None) -> None:
        super().__init__(status, gateway_error(code, message, details))


class VodStationStore(Store):
    """VOD Station behind the gateway (``emulator.vod_station``).

    Settings (mutable attributes): ``status_statistics_as_strings`` sends ``waiting``,
    ``running`` and ``failure`` as strings, as the status-statistics page's field table says (its
    example sends integers); ``max_page_size`` (1000: ``pageSizeNo`` above it is a 400
    ``260002``) and ``page_size_cap`` (see :class:`~ncp_media_async.testing.Store`).
    """

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(gateway, max_page_size=1000)
        self.status_statistics_as_strings = False
        self._encodings = EncodingStore()
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._statistics_override: Any = None

    def __repr__(self) -> str:
        return f"VodStationStore(encodings={len(self._encodings)}, channels={len(self._events)})"

    def routes(self) -> Sequence[StoreRoute]:
        """``GET /api/v2/status``, ``GET /api/v2/status/status-statistic``,
        ``GET /api/v2/channels/{channelId}/events``."""
        return (
            StoreRoute("GET", "/api/v2/status", Route.ENCODING_STATUSES, self._encoding_statuses),
            StoreRoute(
                "GET",
                "/api/v2/status/status-statistic",
                Route.STATUS_STATISTICS,
                self._status_statistics,
            ),
            StoreRoute(
                "GET",
                "/api/v2/channels/{channelId}/events",
                Route.CHANNEL_EVENTS,
                self._channel_events,
            ),
        )

    # ------------------------------------------------------------------------ error dialect

    def bad_body(self, detail: str) -> Rejection:
        """400 ``260033`` (invalid request data)."""
        return VodStationError(400, "260033", "Invalid request data.", detail)

    def bad_parameter(self, error: ParameterError) -> Rejection:
        """400 ``260026`` for a time window bound, ``260025`` for ``pageNo`` below 1, else
        ``260002`` (invalid input value)."""
        if error.name in _WINDOW_PARAMS:
            return VodStationError(
                400, "260026", "Invalid DATE format.", f"{error.name} must be epoch milliseconds."
            )
        if error.name == "pageNo" and error.too_small:
            return VodStationError(400, "260025", "pageNo must be greater than or equal to 1.")
        return VodStationError(400, "260002", f"{error.name}: invalid value.", error.detail)

    # ----------------------------------------------------------------------- data: loading

    def load(self, scenario: Scenario, *, anchor_ms: int, now_ms: int) -> None:
        """Add the scenario's encodings (static and progressing) and channels with events."""
        self._encodings.add(generate_encodings(scenario, anchor_ms))
        progressing = generate_progressing_encodings(scenario, now_ms)
        self._encodings.add((job.work_start_ms, job) for job in progressing)
        self._events.update(generate_channel_events(scenario, anchor_ms))

    def clear(self) -> None:
        """Remove every encoding, every channel and the statistics override."""
        self._encodings.clear()
        self._events.clear()
        self._statistics_override = None

    def info(self) -> dict[str, Any]:
        """``vod_channels`` (ids) and ``encoding_statuses`` (how many)."""
        return {"vod_channels": self.channel_ids, "encoding_statuses": len(self._encodings)}

    # ------------------------------------------------------------ data: encoding statuses

    def set_encoding_statuses(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Replace the encoding statuses with raw camelCase items, served as given.

        Each item's work start (epoch *ms*, used for ``workStartTimeFrom``/``To``) is its
        ``"_workStartTimeMs"`` key, stripped from the body, else its parsed ``lastWorkTime``.
        Items are served newest work start first; equal starts keep the given order.
        """
        self._encodings.clear()
        self.add_encoding_statuses(items)

    def add_encoding_statuses(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Add raw items beside the existing ones (a start newer than all goes to the head)."""
        pairs = []
        for item in items:
            start = work_start_of(item)
            body = {k: v for k, v in item.items() if k != WORK_START_KEY}
            pairs.append((start, body))
        self._encodings.add(pairs)

    def add_progressing_encoding(
        self,
        *,
        work_start_ms: int | None = None,
        queue_seconds: float = 0.0,
        run_seconds: float = 60.0,
        outcome: str = "COMPLETE",
        final_percent: float | None = None,
        output_size: int = 12_345_678,
        fields: Mapping[str, Any] | None = None,
    ) -> ProgressingEncoding:
        """Add a job that progresses with the emulator's clock (see :class:`ProgressingEncoding`).

        ``work_start_ms`` is epoch *milliseconds* (default: now); it waits ``queue_seconds``
        then runs ``run_seconds`` (*seconds*) to ``outcome``. ``final_percent`` defaults to
        100 for ``COMPLETE`` and 50 otherwise. ``fields`` overrides the constant fields.
        """
        start = self.gateway.now_ms() if work_start_ms is None else work_start_ms
        base = encoding_fields((10_001, "VOD-Category"), "upload/progressing", "AVC_HD_1Pass_30fps")
        base.update(fields or {})
        if final_percent is None:
            final_percent = 100.0 if outcome == "COMPLETE" else 50.0
        job = ProgressingEncoding(
            work_start_ms=start,
            queue_ms=int(queue_seconds * 1000),
            run_ms=int(run_seconds * 1000),
            outcome=outcome,
            final_percent=final_percent,
            output_size=output_size,
            fields=base,
        )
        self._encodings.add([(start, job)])
        return job

    def remove_encoding_statuses(self, count: int, *, newest: bool = True) -> int:
        """Remove ``count`` items from the head (newest) or tail; return how many went."""
        return self._encodings.remove(count, newest=newest)

    def encoding_statuses(
        self, start_ms: int | None = None, end_ms: int | None = None
    ) -> list[dict[str, Any]]:
        """The items of a work-start window (epoch *ms*, inclusive) as served now, newest first."""
        return self._encodings.snapshot(start_ms, end_ms, self.gateway.now_ms())

    def set_status_statistics(self, raw_content: Any) -> None:
        """Serve ``{"content": raw_content}`` from status-statistic (``None``: compute again)."""
        self._statistics_override = raw_content

    # --------------------------------------------------------------- data: channel events

    @property
    def channel_ids(self) -> list[str]:
        """Channel ids that have an event list."""
        return list(self._events)

    def set_channel_events(self, channel_id: str, events: Iterable[Mapping[str, Any]]) -> None:
        """Create or replace a channel's events: raw dicts served in the given order.

        Give them newest first, as the service does (``time`` in epoch *seconds*).
        """
        self._events[channel_id] = [dict(e) for e in events]

    def add_channel_events(
        self, channel_id: str, events: Iterable[Mapping[str, Any]], *, at_head: bool = True
    ) -> None:
        """Insert events at the head (newest) or the tail of an existing channel's list."""
        new = [dict(e) for e in events]
        current = self._events[channel_id]
        self._events[channel_id] = new + current if at_head else current + new

    def remove_channel_events(self, channel_id: str, count: int, *, newest: bool = True) -> int:
        """Remove ``count`` events from the head (newest) or tail; return how many went."""
        return remove_from_end(self._events[channel_id], count, newest=newest)

    def remove_channel(self, channel_id: str) -> None:
        """Forget a channel (its events route then answers 404 ``260004``)."""
        self._events.pop(channel_id, None)

    def channel_events(self, channel_id: str) -> list[dict[str, Any]]:
        """A copy of a channel's events, newest first."""
        return list(self._events[channel_id])

    # ----------------------------------------------------------------------------- handlers

    def _window(self, call: Call) -> tuple[int | None, int | None]:
        start, end = (int_param(call, name) for name in _WINDOW_PARAMS)
        return start, end

    def _encoding_statuses(self, call: Call) -> web.StreamResponse:
        """Encoding status list: newest first, windowed on work start (ms)."""
        paging = self.paging(call)
        lo, hi = self._encodings.window(*self._window(call))
        items = self._encodings.page(lo, hi, paging.page_no, paging.size, self.gateway.now_ms())
        response = json_response({"content": items, "total": hi - lo})
        self.page_served(call, paging.page_no)
        return response

    def _status_statistics(self, call: Call) -> web.StreamResponse:
        """Status statistics over a work-start window (``From`` = start)."""
        window = self._window(call)
        if self._statistics_override is not None:
            return json_response({"content": self._statistics_override})
        lo, hi = self._encodings.window(*window)
        counts: dict[str, Any] = self._encodings.counts(lo, hi, self.gateway.now_ms())
        if self.status_statistics_as_strings:
            # The page's field table types these three as String (the example sends numbers).
            for key in ("waiting", "running", "failure"):
                counts[key] = str(counts[key])
        return json_response({"content": counts})

    def _channel_events(self, call: Call) -> web.StreamResponse:
        """Channel events: newest first, ``time`` in epoch seconds."""
        channel_id = call.params["channelId"]
        events = self._events.get(channel_id)
        if events is None:
            raise VodStationError(404, "260004", "not found", f"Channel {channel_id} not found.")
        paging = self.paging(call)
        response = json_response({"content": paging.take(events), "total": len(events)})
        self.page_served(call, paging.page_no)
        return response
