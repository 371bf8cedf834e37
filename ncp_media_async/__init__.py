"""asyncio client for the NAVER Cloud Platform media APIs.

VOD Station, Live Station and Media Intelligence (formerly Media AI Understanding): every
request signed (API Gateway signature v2), lists walked as async iterators, bodies structured
into frozen attrs records, retries with back-off, thousands of statuses polled concurrently.
``ncp_media_async.testing`` ships an emulator of the APIs for tests.
"""

from ._config import ClientOptions, Config
from ._ratelimit import RateLimit
from ._retry import RetryPolicy
from ._transport import AttemptEvent
from ._version import __version__
from .client import Credentials, Endpoints, MediaClient
from .errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    BodyTooLargeError,
    ClientClosedError,
    ConfigurationError,
    ConflictError,
    NcpError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    PollingError,
    RateLimitError,
    ResponseError,
    ServerError,
    SharedLimitError,
    TransportError,
)
from .live_station import LiveStation
from .media_ai import MediaAI
from .pagination import Pager
from .polling import PollFailure, PollTimeoutError, poll, sweep
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

__all__ = [
    "ApiError",
    "AttemptEvent",
    "AuthenticationError",
    "BadRequestError",
    "BodyTooLargeError",
    "ChannelEvent",
    "ClientClosedError",
    "ClientOptions",
    "Config",
    "ConfigurationError",
    "ConflictError",
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
    "OutcomeUnknownError",
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
    "SharedLimitError",
    "StatusStatistics",
    "TransportError",
    "UploadStatus",
    "VideoAssetRef",
    "VideoMetadata",
    "VodStation",
    "__version__",
    "poll",
    "sweep",
]
