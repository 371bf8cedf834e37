"""Frozen attrs records for every response, and the StrEnums they use, one module per service.

Field names are the JSON names in snake_case (``categoryId`` → ``category_id``). Every time is a
timezone-aware ``datetime``, whatever the wire used (ISO 8601 with ``+0900``, epoch seconds or epoch
milliseconds). ``"-"`` placeholders become ``None``. Enumerations are ``enum.StrEnum``s that keep
values they do not know (``status == "NEW_STATE"`` still works) instead of failing: the services add
states without notice.

Every public name is re-exported here (``from ncp_media_async.records import EncodingStatus``):
a service module lists its records in its ``__all__`` and nothing else needs editing.
``records._base`` holds what they share (``OpenStrEnum``, ``Page``, ``KST``, the field helpers).
"""

from . import _base, live_station, media_ai, vod_station
from ._base import *  # noqa: F403
from .live_station import *  # noqa: F403
from .media_ai import *  # noqa: F403
from .vod_station import *  # noqa: F403

__all__ = [*_base.__all__, *live_station.__all__, *media_ai.__all__, *vod_station.__all__]
