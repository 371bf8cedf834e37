"""asyncio client for the NAVER Cloud Platform media APIs.

VOD Station, Live Station and Media Intelligence (formerly Media AI Understanding): every
request signed (API Gateway signature v2), lists walked as async iterators, bodies structured
into frozen attrs records, retries with back-off, thousands of statuses polled concurrently.
``ncp_media_async.testing`` ships an emulator of the APIs for tests.
"""

from . import errors
from ._config import ClientOptions, Config
from ._ratelimit import RateLimit
from ._retry import RetryPolicy
from ._transport import AttemptEvent
from ._version import __version__
from .client import Credentials, Endpoints, MediaClient
from .errors import *  # noqa: F403
from .live_station import LiveStation
from .media_ai import IndexOptions, MediaAI
from .pagination import Pager
from .polling import Again, PollFailure, Results, poll, schedule, sweep
from .records import live_station as _live_records
from .records import media_ai as _media_ai_records
from .records import vod_station as _vod_records
from .records._base import Page, Secret
from .records.live_station import *  # noqa: F403
from .records.media_ai import *  # noqa: F403
from .records.vod_station import *  # noqa: F403
from .vod_station import VodStation

# The exceptions and the records are exported as their modules list them (``__all__ +=
# module.__all__``, the form the typing spec's "library interface" rules read).
__all__ = [
    "Again",
    "AttemptEvent",
    "ClientOptions",
    "Config",
    "Credentials",
    "Endpoints",
    "IndexOptions",
    "LiveStation",
    "MediaAI",
    "MediaClient",
    "Page",
    "Pager",
    "PollFailure",
    "RateLimit",
    "Results",
    "RetryPolicy",
    "Secret",
    "VodStation",
    "__version__",
    "poll",
    "schedule",
    "sweep",
]
__all__ += errors.__all__
__all__ += _live_records.__all__
__all__ += _media_ai_records.__all__
__all__ += _vod_records.__all__
