"""VOD Station: encoding status list, status statistics, channel events."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Hashable
from datetime import datetime

from . import _defaults
from ._converter import structure_statistics
from ._resource import Resource, segment, time_window
from .pagination import Pager
from .polling import PollTimeoutError
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

    async def watch_encoding_statuses(
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
        Ends when every status in the window is terminal (COMPLETE, FAILURE, CANCELED); raises
        ``PollTimeoutError`` if ``timeout`` seconds pass first.
        """
        if interval < 0:
            raise ValueError(f"interval must be >= 0 seconds, got {interval}")
        deadline = None if timeout is None else clock() + timeout
        seen: dict[Hashable, tuple[str, float | None]] = {}
        while True:
            unfinished: list[Hashable] = []
            pager = self.encoding_statuses(
                start=start, end=end, page_size=page_size, prefetch=prefetch
            )
            async with contextlib.aclosing(pager.__aiter__()) as walk:
                async for status in walk:
                    key = status.output_key
                    state = (status.status.value, status.percent)
                    if seen.get(key) != state:
                        seen[key] = state
                        yield status
                    if not status.status.terminal:
                        unfinished.append(key)
            if not unfinished:
                return
            if deadline is not None and clock() + interval >= deadline:
                raise PollTimeoutError(
                    f"{len(unfinished)} encoding{'' if len(unfinished) == 1 else 's'} "
                    f"still unfinished after {timeout} s",
                    pending=tuple(unfinished),
                )
            await sleep(interval)
