"""asyncio client for the NAVER Cloud Platform media APIs.

VOD Station, Live Station and Media AI Understanding: every request signed (API Gateway
signature v2), lists walked as async iterators, bodies structured into frozen attrs records,
retries with back-off, thousands of statuses polled concurrently. ``ncp_media_async.testing``
ships an emulator of the APIs for tests.
"""

from ._retry import RetryPolicy
from ._transport import AttemptEvent
from .client import Credentials, Endpoints, MediaClient
from .errors import (
    LIVE_STATION_CODES,
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    NcpError,
    NotFoundError,
    PermissionDeniedError,
    PollingError,
    RateLimitError,
    ResponseError,
    ServerError,
    TransportError,
)
from .live_station import LiveStation
from .media_ai import MediaAI
from .pagination import Pager
from .polling import PollFailure, PollTimeoutError, RateLimit, poll
from .records import (
    ChannelEvent,
    EncodingState,
    EncodingStatus,
    EventAction,
    EventRequestType,
    EventResult,
    ImportStatus,
    Page,
    Recording,
    RecordStatus,
    RecordType,
    StatusStatistics,
    UploadStatus,
    VideoAssetRef,
    VideoMetadata,
)
from .vod_station import VodStation

__version__ = "0.1.0"

__all__ = [
    "LIVE_STATION_CODES",
    "ApiError",
    "AttemptEvent",
    "AuthenticationError",
    "BadRequestError",
    "ChannelEvent",
    "ConfigurationError",
    "Credentials",
    "EncodingState",
    "EncodingStatus",
    "Endpoints",
    "EventAction",
    "EventRequestType",
    "EventResult",
    "ImportStatus",
    "LiveStation",
    "MediaAI",
    "MediaClient",
    "NcpError",
    "NotFoundError",
    "Page",
    "Pager",
    "PermissionDeniedError",
    "PollFailure",
    "PollTimeoutError",
    "PollingError",
    "RateLimit",
    "RateLimitError",
    "RecordStatus",
    "RecordType",
    "Recording",
    "ResponseError",
    "RetryPolicy",
    "ServerError",
    "StatusStatistics",
    "TransportError",
    "UploadStatus",
    "VideoAssetRef",
    "VideoMetadata",
    "VodStation",
    "__version__",
    "poll",
]
