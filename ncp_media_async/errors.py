"""The exception tree and the pure mapping from an error response to an exception.

::

    NcpError
    ├── ApiError                   a response that says no (status, code, message, service)
    │   ├── BadRequestError        400 and codes that mean "your request is wrong"
    │   ├── AuthenticationError    401 (gateway 200: signature, key or timestamp rejected)
    │   ├── PermissionDeniedError  403, gateway 210/230, Live Station 250010/250015/250017
    │   ├── NotFoundError          404, Live Station 250100 (sent as HTTP 400), VOD Station 260004
    │   ├── RateLimitError         429 (gateway 400/410/420), carries ``retry_after`` in seconds
    │   └── ServerError            5xx
    ├── TransportError             connection failures and timeouts, after retries ran out
    ├── ResponseError              a success status whose body cannot be understood
    ├── PollingError               a batch poll that did not end well (``ncp_media_async.polling``)
    └── ConfigurationError         missing credentials, a bad endpoint URL (also a ``ValueError``)

Meaning comes from the service's code where one exists, else from the HTTP status; an error status
is classified by its status even when the body is HTML or unreadable. No exception ever holds a
credential or a signature: ``request`` is the method and the path only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from . import _defaults

__all__ = [
    "LIVE_STATION_CODES",
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "NcpError",
    "NotFoundError",
    "PermissionDeniedError",
    "PollingError",
    "RateLimitError",
    "ResponseError",
    "ServerError",
    "TransportError",
    "error_from_response",
    "excerpt",
]


class NcpError(Exception):
    """Root of every exception this package raises on purpose."""


class ApiError(NcpError):
    """A response that says no.

    Attributes:
        status: the HTTP status code.
        code: the service's own error code as a string (``"250100"``, ``"200"``, ``"10001"``),
            or ``None`` when the body carried none (an HTML page from a proxy, say).
        message: the service's message, or a short excerpt of an unreadable body.
        service: ``"vod_station"``, ``"live_station"`` or ``"media_ai"``.
        request: ``"GET /api/v2/..."``: method and path, never credentials.
        details: the gateway's ``details`` text when present.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        service: str = "",
        request: str = "",
        details: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.service = service
        self.request = request
        self.details = details

    def __str__(self) -> str:
        code = f" code {self.code}" if self.code is not None else ""
        reason = self.message
        details = (self.details or "").strip()
        if " " in details and details != self.message:
            # The gateway's reason (why a signature was refused, say), not a bare error name
            # such as Live Station's ``EXCEPTION``.
            reason = f"{self.message}: {details}"
        where = f" ({self.service}: {self.request})" if self.request else ""
        return f"HTTP {self.status}{code}: {reason}{where}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, code={self.code!r}, "
            f"message={self.message!r}, service={self.service!r}, request={self.request!r})"
        )

    def __reduce__(self) -> Any:
        return (_rebuild_api_error, (type(self), self.message, self.__dict__))


def _rebuild_api_error(cls: type[ApiError], message: str, state: dict[str, Any]) -> ApiError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class BadRequestError(ApiError):
    """The request was rejected as malformed (HTTP 400 or a validation code)."""


class AuthenticationError(ApiError):
    """The gateway rejected the credentials, the signature or the timestamp (HTTP 401)."""


class PermissionDeniedError(ApiError):
    """The credentials are valid but may not do this (HTTP 403, gateway 210/230)."""


class NotFoundError(ApiError):
    """The channel, asset or resource does not exist (HTTP 404, or a not-found service code)."""


class RateLimitError(ApiError):
    """The gateway throttled the call (HTTP 429).

    ``retry_after`` is the server's ``Retry-After`` in seconds, or ``None`` when it sent none.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(ApiError):
    """The service or the gateway failed (HTTP 5xx)."""


class TransportError(NcpError):
    """A connection failure or timeout that outlived the retries.

    Attributes: ``host``, ``request`` (method and path), ``attempts`` made.
    """

    def __init__(self, message: str, *, host: str = "", request: str = "", attempts: int = 1):
        super().__init__(message)
        self.host = host
        self.request = request
        self.attempts = attempts

    def __str__(self) -> str:
        tries = "attempt" if self.attempts == 1 else "attempts"
        return f"{self.args[0]} ({self.request} on {self.host}, {self.attempts} {tries})"


class ResponseError(NcpError):
    """A success status whose body cannot be understood (HTML, broken JSON, wrong shape).

    ``excerpt`` holds the first characters of the body; ``request`` the method and path.
    """

    def __init__(self, message: str, *, excerpt: str = "", request: str = "") -> None:
        super().__init__(message)
        self.excerpt = excerpt
        self.request = request

    def __str__(self) -> str:
        where = f" ({self.request})" if self.request else ""
        body = f"; body starts: {self.excerpt!r}" if self.excerpt else ""
        return f"{self.args[0]}{where}{body}"


class ConfigurationError(NcpError, ValueError):
    """The client cannot be set up as asked (missing credentials, a bad endpoint URL)."""


class PollingError(NcpError):
    """A batch poll ended with failures (see ``failures``) or ran out of time.

    ``failures`` maps each target that failed for good to its exception; ``pending`` lists the
    targets that had not reached a terminal state when the batch stopped.
    """

    def __init__(
        self,
        message: str,
        *,
        failures: Mapping[Any, BaseException] | None = None,
        pending: tuple[Any, ...] = (),
    ) -> None:
        super().__init__(message)
        self.failures: dict[Any, BaseException] = dict(failures or {})
        self.pending = pending


# -- service code tables -----------------------------------------------------------------------

#: Live Station error codes and messages, from the Live Station API document (``{0}`` is a
#: placeholder the service fills in).
LIVE_STATION_CODES: Final[Mapping[str, str]] = {
    "250000": "Unexpected error occurred.",
    "250001": "{0}",
    "250002": "{0}: invalid value.",
    "250003": "Missing required header.",
    "250004": "{0} not found.",
    "250005": "{0} not available.",
    "250006": "Unauthorized {0}.",
    "250007": "{0} connection failed.",
    "250008": "Request failed.",
    "250009": "Third-party interface exception: {0}.",
    "250010": "We cannot accomplish the task as permissions are not granted for the sub account.",
    "250011": "{0} must has a valid value",
    "250012": "Invalid request data,please check",
    "250013": "OK",
    "250014": "Form validation failed",
    "250015": "Access denied",
    "250016": "Server error",
    "250017": "Unauthorized",
    "250018": "Bad Request",
    "250019": "The Region {0} not support now.",
    "250020": "Invalid region code {0}.",
    "250021": "Invalid parameter type.{0} can not convert to type {1}.",
    "250022": "The url that you specified is not invalid format.",
    "250100": "Channel is not found",
    "250101": "This channel is not publishing now",
    "250102": "This channel is publishing",
    "250103": "This channel has never been published.",
    "250104": "Channel names can be entered with a minimum of 3 characters and a maximum of 20.",
    "250105": "Start publish failed",
    "250106": "Stop publish failed",
    "250107": "This channel's CDN is not running",
    "250108": "CDN secure token cannot set",
    "250109": "If CDN status is creating or changing, channel cannot be deleted.",
    "250110": "Cannot create channel, reason: {0}",
    "250111": "Wrong notification type",
    "250112": "Cannot configure Notification",
    "250113": "In order to return channel, CDN must be returned first.",
    "250114": "Channel can be deleted only in 'READY' state.",
    "250115": "The channel didn't set DVR",
    "250116": 'The request did not include the required "QualitySet"',
    "250118": 'The request did not include the required "CDN_TYPE"',
    "250119": "The cdnInstanceNo is needed when createCdn is false.",
    "250120": 'The cdn type that you specified is not allowed: only "CDN_PLUS", "GCDN".',
    "250121": "The request channel did not set useDvr.",
    "250122": "The timemachineMin should be 360.",
    "250123": "The specified channel Id does not exist.",
    "250124": 'You can get url only cdn status is "RUNNING"',
    "250125": 'You can get url only channel status is "READY"',
    "250126": "The number of professional type can not exceed 5",
    "250127": "The plan type that you specified is not allowed.",
    "250128": "The number of standard plan type can not exceed 3",
    "250129": "The input of rtmp url that you specified is not allowed",
    "250130": "The restream targetName value that you specified is not allowed",
    "250131": "The channel value that you specified is not allowed.",
    "250133": "The request channel did not set useDvr",
    "250134": 'The request channel status is no "PUBLISHING"',
    "250135": "The request does not allowed : the recording has been start already",
    "250136": "The request does not allowed : the recording has been start already",
    "250137": 'The request does not allowed : the recording status is not "TRUE"',
    "250138": "The param timemacineMin is needed when useDvr is true.",
    "250139": "The param immediateOnair should be false when useDvr is false.",
    "250140": "Cdn status should be running when create channel.",
    "250141": "You can get time machine url only recording status is TRUE.",
    "250142": "ChannelName should not be null.",
    "250143": 'The request did not include the required "stream key".',
    "250300": "Quality is not found.",
    "250301": "The qualitySetId that you specified not found.",
    "250302": "Quality set must have only one 1080p quality.",
    "250303": "Delete system quality profile is not allowed.",
    "250304": "Invalid user info.",
    "250305": "System resource cannot update",
    "250306": "Resource is in use",
    "250307": "The segment duration value that you specified is not allowd",
    "250309": "The segment count value that you specified is not allowed",
    "250311": "Delete system quality set is not allowed.",
    "250312": "Only Alphabets, Numbers and Hypen are allowed (3 to 20 characters).",
    "250313": "quality size error (min:1, max:4)",
    "250314": "Video codec must have a value",
    "250315": "Video codec profile must have a value",
    "250316": "Video codec profile level must have a value",
    "250321": "Video bitrate must be greater than or equal to 1",
    "250322": "Video bitrate must be less than or equal to 20000000",
    "250323": "Video B frames must be greater than or equal to 0",
    "250324": "Video B frames must be less than or equal to 4",
    "250325": "Audio codec must have a value",
    "250327": "Audio sampling rate must have a value",
    "250328": "Audio channels must have a value",
    "250333": "{0} Profile only when AAC",
    "250334": "bFrames only 0 is available if resolution less than 409920(854*480)",
    "250335": "bFrames only 0,1,2 are available if resolution less than 921600 (1280*720)",
    "250336": "Video frame rate must be greater than or equal to 1",
    "250337": "Video frame rate be less than or equal to 60",
    "250338": "Audio channels must be greater than or equal to 0",
    "250339": "Audio channels must be less than or equal to 8",
    "250341": "Only profile 'BASELINE' available for resolution less than 921600 (1280*720)",
    "250342": "Only even integer are available for video width and height",
    "250343": "Interval must bigger than 0",
    "250344": "Must input key",
    "250345": "Must input header",
    "250348": 'The request did not set content-type to "application/json"',
    "250351": 'The timedmeta that you specified is not allowed: only integer "1000".',
    "250353": 'The audio codec that you specified is not allowed: only "AAC", "MP3".',
    "250354": "The profile value of audio codec is not allowed: only profile LC is supported.",
    "250355": "The audio channel value is not allowed: only [0, 1,2,3,4,5,6,7,8]",
    "250356": "The audio channel value is not allowed: only [0, 1, 2]",
    "250357": "The audio bitrate value is not allowed: integer between 16 and 320.",
    "250358": "The audio sampling rate is not allowed for AAC.",
    "250359": "The audio sampling rate is not allowed for MP3.",
    "250360": 'The video codec that you specified is not allowed: only "H264".',
    "250361": "The profile of video codec is not allowed: only [BASELINE, MAIN, HIGH].",
    "250362": "The orientation of video is not allowed: only [FIX].",
    "250363": "The profile level of video is not allowed. only [0] is supported",
    "250364": "The reference frames of video is not allowed, only [1] is supported.",
    "250365": "The video bitrate value is not allowed: an integer greater than 0",
    "250366": "The width of video is not allowed: integer between 128 and 1920.",
    "250367": "The height of video is not allowed: integer between 96 and 1920.",
    "250368": "The frame rate of video is not allowed: [10, 15, 23.97, 24, 29.97, 30, 50, 60].",
    "250370": "The rate control of video is not allowed: only [VBR, CBR].",
    "250372": 'The request did not include the required "video" object',
    "250373": 'The request did not include the required "audio " object',
    "250374": "Delete system quality profile is not allowed.",
    "250375": 'The request did not include the required "timedMetadata" object.',
    "250376": 'The timedmeta that you specified of key is not allowed: only "utc".',
    "250377": 'The request did not include the required "enableHlsTimedMeta"',
    "250378": 'The request do not include the required "audio bitrate"',
    "250500": "Record filename is not valid : {0}",
    "250501": "Record filename is not found : {0}",
    "250502": "Record file upload error",
    "250504": "Can not delete Record file: {0}",
    "250505": "Can't get objectStorage's access oAuth",
    "250506": "ChannelId param should not be null when get record list.",
    "250507": "Record status should be TRANSFER_READY or TRANSFER_FAIL when upload.",
    "250600": "Number must bigger than or equal to 1",
    "250700": "The record id has been requested already.",
    "250701": "The record id that you request upload does not exist.",
    "250702": "The record id does not exist.",
    "250703": "The input bucket name that you specified is not allowed.",
    "250704": "The output bucket name that you specified is not allowed.",
    "250705": "The input bucket name doesn't exist.",
}

_BY_STATUS: Final[Mapping[int, type[ApiError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}

# Service codes whose meaning overrides the HTTP status. Gateway codes are short ("200"), VOD
# Station's are 2600xx, Live Station's 2500xx-2507xx: the ranges do not collide.
_BY_CODE: Final[Mapping[str, type[ApiError]]] = {
    # API Gateway
    "100": BadRequestError,
    "200": AuthenticationError,
    "210": PermissionDeniedError,
    "230": PermissionDeniedError,
    "300": NotFoundError,
    "400": RateLimitError,
    "410": RateLimitError,
    "420": RateLimitError,
    "500": ServerError,
    "510": ServerError,
    "900": ServerError,
    # VOD Station
    "260004": NotFoundError,
    "260025": BadRequestError,
    # Live Station
    "250000": ServerError,
    "250003": BadRequestError,
    "250004": NotFoundError,
    "250006": PermissionDeniedError,
    "250009": ServerError,
    "250010": PermissionDeniedError,
    "250012": BadRequestError,
    "250014": BadRequestError,
    "250015": PermissionDeniedError,
    "250016": ServerError,
    "250017": PermissionDeniedError,
    "250018": BadRequestError,
    "250020": BadRequestError,
    "250021": BadRequestError,
    "250100": NotFoundError,
    "250123": NotFoundError,
    "250300": NotFoundError,
    "250301": NotFoundError,
    "250501": NotFoundError,
    "250506": BadRequestError,
    "250701": NotFoundError,
    "250702": NotFoundError,
}


def excerpt(body: bytes | str, limit: int = _defaults.EXCERPT_CHARS) -> str:
    """The first ``limit`` characters of a body, decoded leniently, whitespace collapsed."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text[: limit * 2].split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def _parse_body(body: bytes) -> tuple[str | None, str | None, str | None]:
    """(code, message, details) from any of the four error dialects, or Nones."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, None, None
    if not isinstance(data, dict):
        return None, None, None
    err = data.get("error")
    if isinstance(err, dict):
        # Gateway, VOD Station (string codes) and Live Station (numeric codes, errorName).
        code = err.get("errorCode", err.get("code"))
        details = _text(err.get("details")) or _text(err.get("errorName"))
        return _text(code), _text(err.get("message")), details
    if "code" in data:
        # Media AI Understanding: {"code": "10001", "message": "Invalid Request"}
        return _text(data.get("code")), _text(data.get("message")), None
    return None, None, None


def _parse_retry_after(value: str | None, now: float | None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (needs ``now``, epoch seconds)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None or now is None:
            return None
        seconds = when.timestamp() - now
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return max(0.0, seconds)


def error_from_response(
    status: int,
    body: bytes,
    *,
    service: str,
    request: str,
    retry_after: str | None = None,
    now: float | None = None,
) -> ApiError:
    """Map an error response to the right ``ApiError`` subclass. Pure; never raises.

    The class comes from the service code where the code has a known meaning (Live Station's
    250100 arrives as HTTP 400 but is a ``NotFoundError``), else from the HTTP status, so an HTML
    page from a proxy is still classified. ``retry_after`` is the raw header; ``now`` (epoch
    seconds) resolves an HTTP-date form.
    """
    code, message, details = _parse_body(body)
    cls = _BY_CODE.get(code) if code is not None else None
    if cls is None:
        cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    if status == 429:
        cls = RateLimitError  # a throttled call is retried as such whatever the body says
    elif status >= 500 and not issubclass(cls, ServerError):
        cls = ServerError
    if message is None:
        message = excerpt(body) or f"HTTP {status} with an empty body"
    kw: dict[str, Any] = {
        "status": status,
        "code": code,
        "service": service,
        "request": request,
        "details": details,
    }
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=_parse_retry_after(retry_after, now), **kw)
    return cls(message, **kw)
