"""Live Station: recordings of a channel."""

from __future__ import annotations

from ._converter import structure_records
from ._resource import Resource, segment
from .records import Recording

__all__ = ["LiveStation"]


class LiveStation(Resource):
    """Live Station APIs (``client.live_station``). Every request carries ``x-ncp-region_code``."""

    async def records(self, channel_id: str) -> list[Recording]:
        """``GET /api/v2/channels/{channelId}/records``: the VOD recordings of a channel.

        The API answers with a map keyed by record id; each ``Recording`` carries its key as
        ``record_id``, in record-id order. The body's ``total`` need not match the map and is not
        used. An unknown channel arrives as HTTP 400 with code 250100 and raises
        ``NotFoundError``.
        """
        return await self._get(
            ("channels", segment("channel_id", channel_id), "records"),
            structure_records,
        )
