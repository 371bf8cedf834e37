"""VOD Station: encoding status list, status statistics, channel events."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Hashable
from datetime import datetime

from . import _defaults
from ._converter import structure_statistics
from ._resource import Resource, segment, time_window
from .pagination import Pager
from .polling import sweep
from .records import ChannelEvent, EncodingStatus, StatusStatistics

__all__ = ["VodStation"]


class VodStation(Resource):
    """VOD Station APIs (``client.vod_station``)."""

    def encoding_statuses(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        page_size: int = _defaults.PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        prefetch: int = 1,
    ) -> Pager[EncodingStatus]:
        """``GET /api/v2/status``: encoding status of every output file, page by page.

        ``start``/``end`` (timezone-aware) bound the work start time and are sent as
        ``workStartTimeFrom``/``workStartTimeTo`` in epoch milliseconds. ``page_size``
        (``pageSizeNo``) is documented from 10 up. Returns a ``Pager`` at once.
        """
        return self._list(
            ("api", "v2", "status"),
            EncodingStatus,
            time_window(start, end),
            page_size=page_size,
            start_page=start_page,
            max_items=max_items,
            prefetch=prefetch,
            min_page_size=_defaults.ENCODING_STATUS_MIN_PAGE_SIZE,
        )

    async def status_statistics(
        self, *, start: datetime | None = None, end: datetime | None = None
    ) -> StatusStatistics:
        """``GET /api/v2/status/status-statistic``: job counts per state in a time window.

        The page's parameter table swaps ``workStartTimeFrom``/``workStartTimeTo``; like the
        encoding status list, ``start`` goes in From and ``end`` in To (epoch milliseconds).
        Counts sent as strings or numbers both come back as ``int``.
        """
        return await self._get(
            ("api", "v2", "status", "status-statistic"),
            structure_statistics,
            time_window(start, end),
        )

    def channel_events(
        self,
        channel_id: str,
        *,
        page_size: int = _defaults.PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        prefetch: int = 1,
    ) -> Pager[ChannelEvent]:
        """``GET /api/v2/channels/{channelId}/events``: a channel's events, newest first.

        The page gives no bounds for ``pageSizeNo``; sizes from 1 to 1,000 are accepted. Event
        ``time`` is sent in epoch seconds and given as an aware UTC datetime. An unknown channel
        raises ``NotFoundError``.
        """
        return self._list(
            ("api", "v2", "channels", segment("channel_id", channel_id), "events"),
            ChannelEvent,
            page_size=page_size,
            start_page=start_page,
            max_items=max_items,
            prefetch=prefetch,
        )

    def watch_encoding_statuses(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        interval: float = _defaults.POLL_INTERVAL,
        timeout: float | None = None,
        page_size: int = 100,
        prefetch: int = 4,
        clock: _defaults.Clock = time.monotonic,
        sleep: _defaults.Sleep = asyncio.sleep,
    ) -> AsyncIterator[EncodingStatus]:
        """Re-walk the encoding status list every ``interval`` seconds and yield what changed.

        The first walk yields every status; later walks yield a status whose ``status`` or
        ``percent`` changed (an output file is identified by ``EncodingStatus.output_key``).
        Ends when every status in the window is terminal (COMPLETE, FAILURE, CANCELED; a status
        the service left out counts as unfinished); raises ``PollTimeoutError`` if ``timeout``
        seconds pass first. ``interval`` is the pause between the end of one walk and the
        start of the next (``polling.sweep``).
        """
        changes = _Changes()
        return sweep(
            lambda: changes.of(
                self.encoding_statuses(start=start, end=end, page_size=page_size, prefetch=prefetch)
            ),
            changes.finished,
            interval=interval,
            timeout=timeout,
            pending=changes.pending,
            what="encoding",
            clock=clock,
            sleep=sleep,
        )


class _Changes:
    """What changed between two walks of the encoding status list, and what is unfinished."""

    def __init__(self) -> None:
        self._seen: dict[Hashable, tuple[str | None, float | None]] = {}
        self._unfinished: list[Hashable] = []

    async def of(self, walk: Pager[EncodingStatus]) -> AsyncGenerator[EncodingStatus, None]:
        """The statuses of one walk that are new or changed since the walk before."""
        self._unfinished = []
        async with contextlib.aclosing(aiter(walk)) as statuses:
            async for status in statuses:
                key, state = status.output_key, status.status
                snapshot = (None if state is None else state.value, status.percent)
                if self._seen.get(key) != snapshot:
                    self._seen[key] = snapshot
                    yield status
                if state is None or not state.terminal:
                    self._unfinished.append(key)

    def finished(self) -> bool:
        """Whether the last walk found every status terminal."""
        return not self._unfinished

    def pending(self) -> tuple[Hashable, ...]:
        """The output keys the last walk found unfinished."""
        return tuple(self._unfinished)
