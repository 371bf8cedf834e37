"""The exception tree and the pure mapping from an error response to an exception.

```text
NcpError
├── ApiError                   a response that says no (status, code, message, service)
│   ├── BadRequestError        400 and codes that mean "your request is wrong"
│   ├── AuthenticationError    401 (gateway 200: signature, key or timestamp rejected)
│   ├── PermissionDeniedError  403, gateway 210/230, Live Station 250010/250015/250017
│   ├── NotFoundError          404, Live Station 250100 (sent as HTTP 400), VOD Station 260004
│   ├── ConflictError          409, and the documented "wrong state" codes (not publishing,
│   │                          already recording, channel not stopped, ...)
│   ├── RateLimitError         429 (gateway 400/410/420)
│   └── ServerError            5xx
├── TransportError             connection failures and timeouts, after retries ran out
│   ├── RequestTimeoutError    no complete answer within the attempt's timeout (a read)
│   └── OutcomeUnknownError    a write that may have reached the server; not repeated
├── ResponseError              a success status whose body cannot be understood
│   └── BodyTooLargeError      a body over the client's ``max_body_size``
├── PollingError               a wait that did not end well (``ncp_media_async.polling``)
│   └── PollTimeoutError       its ``timeout`` passed first (also a ``TimeoutError``)
├── AddFilesError              ``VodStation.add_files`` stopped part-way (what was submitted)
├── SharedLimitError           a shared rate limit's Redis is unreachable (``fallback="fail"``)
├── JournalError               a bulk write's journal is another batch's, locked or unwritable
├── ClientClosedError          a request on a closed client (or a closed caller-owned session)
└── ConfigurationError         missing credentials, a bad endpoint URL (also a ``ValueError``)
```

Meaning comes from the service's code where one exists, else from the HTTP status; an error status
is classified by its status even when the body is HTML or unreadable, and a 429 or 5xx status
always wins over the code (a throttled or failed call is retried as such). No exception ever holds
a credential or a signature: ``request`` is the method and the path only, and every text taken
from a response is cut to a bounded length.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from . import _defaults
from ._http import parse_retry_after

if TYPE_CHECKING:
    from .records import EncodingJob

__all__ = [
    "AddFilesError",
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "BodyTooLargeError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "JournalError",
    "NcpError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "PollTimeoutError",
    "PollingError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseError",
    "ServerError",
    "SharedLimitError",
    "TransportError",
]


class NcpError(Exception):
    """Root of every exception this package raises on purpose."""

    def __reduce__(self) -> Any:
        # Pickled whole (every attribute, ``args`` too) and rebuilt without ``__init__``, whose
        # arguments are keyword-only and not all kept.
        return (type(self).__new__, (type(self),), {**self.__dict__, "args": self.args})


class ApiError(NcpError):
    """A response that says no.

    Attributes:
        status: the HTTP status code.
        code: the service's own error code as a string (``"250100"``, ``"200"``, ``"10001"``),
            or ``None`` when the body carried none (an HTML page from a proxy, say).
        message: the service's message (at most ``_defaults.MESSAGE_CHARS`` characters), or a
            short excerpt of an unreadable body; here and in ``details`` the values of secret
            fields (stream keys) read ``<hidden>``.
        service: ``"vod_station"``, ``"live_station"`` or ``"media_ai"``.
        request: ``"GET /api/v2/..."``: method and path, never credentials.
        details: the gateway's ``details`` text (or Live Station's ``errorName``) when present.
        retry_after: the server's ``Retry-After`` in seconds, when it sent a sane one (honoured
            on 429 and 503), else ``None``.
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
        retry_after: float | None = None,
    ) -> None:
        message = shorten(_SECRET_VALUE.sub(_hide, message))
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.service = service
        self.request = request
        self.details = None if details is None else shorten(_SECRET_VALUE.sub(_hide, details))
        self.retry_after = retry_after

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


class BadRequestError(ApiError):
    """The request was rejected as malformed (HTTP 400 or a validation code)."""


class AuthenticationError(ApiError):
    """The gateway rejected the credentials, the signature or the timestamp (HTTP 401)."""


class PermissionDeniedError(ApiError):
    """The credentials are valid but may not do this (HTTP 403, gateway 210/230)."""


class NotFoundError(ApiError):
    """The channel, asset or resource does not exist (HTTP 404, or a not-found service code)."""


class ConflictError(ApiError):
    """The resource is in the wrong state for this call (HTTP 409, or a documented state code).

    Examples: an analysis already running on a Media Intelligence asset (409), a Live Station
    channel that is not publishing (250101, 250134), a recording already started (250135,
    250136) or not running (250137), a Live Station recording not ready for upload (250507) or
    already uploaded (250700), a VOD Station channel that must be stopped first (260022,
    260024). Repeating the call as is will not help; changing or waiting for the state may.
    """


class RateLimitError(ApiError):
    """The gateway throttled the call (HTTP 429); ``retry_after`` is in seconds, or ``None``."""


class ServerError(ApiError):
    """The service or the gateway failed (HTTP 5xx)."""


class TransportError(NcpError):
    """A connection failure or timeout that outlived the retries.

    Attributes: ``host``, ``request`` (method and path), ``attempts`` made, and ``transient``:
    False for a failure that will not pass by itself (a host name that does not resolve, TLS
    spoken to a plain-HTTP port), which is not retried and whose message says what is likely
    wrong.
    """

    def __init__(
        self,
        message: str,
        *,
        host: str = "",
        request: str = "",
        attempts: int = 1,
        transient: bool = True,
    ) -> None:
        super().__init__(message)
        self.host = host
        self.request = request
        self.attempts = attempts
        self.transient = transient

    def __str__(self) -> str:
        where = " on ".join(part for part in (self.request, self.host) if part)
        tries = f"{self.attempts} attempt{'' if self.attempts == 1 else 's'}"
        return f"{self.args[0]} ({where + ', ' if where else ''}{tries})"


class RequestTimeoutError(TransportError, TimeoutError):
    """A request got no complete answer within its timeout (``MediaClient(timeout=...)``, or
    what was left of the call's ``deadline``), after the retries ran out. A write that timed out
    raises ``OutcomeUnknownError`` instead: it may have taken effect."""


class OutcomeUnknownError(TransportError):
    """A write failed after it may have reached the server, so it was not sent again.

    The connection broke or timed out after the request was sent: the service may or may not
    have acted on it (created the asset, queued the encoding, started the recording). Repeating
    it blindly could do the work twice, so the client never does; look the result up (list the
    assets, read the status) before trying again.
    """


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


class BodyTooLargeError(ResponseError):
    """A response body larger than the client's ``max_body_size`` (bytes, counted after
    decompression while reading): the read stopped there and the connection was dropped.
    Not retried: the same request would get the same body."""


class ClientClosedError(NcpError):
    """A request on a ``MediaClient`` that was closed (or whose caller-owned session was)."""


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


class PollTimeoutError(PollingError, TimeoutError):
    """A wait's ``timeout`` (seconds, for the whole wait) passed first. ``pending`` names what
    was still unfinished (every target is reported once: as a result, a failure, or pending);
    ``failures`` what had failed by then."""


class AddFilesError(NcpError):
    """``VodStation.add_files`` stopped part-way: one of its requests (100 inputs each) failed.

    Every input is in exactly one of:

    * ``jobs``: an ``EncodingJob`` per input the service took (the requests before);
    * ``uncertain``: the inputs of the failed request when it may have reached the service
      (the connection broke after sending, a timeout, a 5xx): they may be encoding now. The
      client never sends such a request again;
    * ``rejected``: the inputs of the failed request when the service refused it (a 4xx, a 429
      the retries could not get past): not taken;
    * ``unsent``: the inputs of the requests after it (and of the failed one when no connection
      could be made): not taken, safe to submit.

    ``error`` (also ``__cause__``) is the failed request's exception; ``since`` (aware UTC) is
    when it was sent, by the gateway's clock as far as the client knows it. To reconcile:

    ```python
    except ncp.AddFilesError as e:
        jobs = [*e.jobs, *await vod.find_jobs(e.category_id, e.uncertain, since=e.since,
                                              bucket=bucket)]
        taken = {job.input_path for job in jobs}
        again = [p for p in e.uncertain if p not in taken] + list(e.unsent)
    ```

    ``find_jobs`` reads the encoding status list, where a taken input shows; one that does not
    may still be worked on by a service that answered too late, so let a minute pass before
    submitting it again.
    """

    def __init__(
        self,
        *,
        category_id: int,
        since: datetime,
        jobs: Sequence[EncodingJob] = (),
        uncertain: Sequence[str] = (),
        rejected: Sequence[str] = (),
        unsent: Sequence[str] = (),
        error: BaseException | None = None,
    ) -> None:
        counts = {"uncertain (may have been submitted)": uncertain, "rejected": rejected}
        parts = [f"{len(v):,} {k}" for k, v in {**counts, "not sent": unsent}.items() if v]
        reason = "" if error is None else f": {type(error).__name__}: {error}"
        what = ", ".join([f"{len(jobs):,} submitted", *parts])
        super().__init__(shorten(f"add_files to category {category_id} stopped ({what}){reason}"))
        self.category_id = category_id
        self.jobs = tuple(jobs)
        self.uncertain = tuple(uncertain)
        self.rejected = tuple(rejected)
        self.unsent = tuple(unsent)
        self.since = since
        self.error = error


class SharedLimitError(NcpError):
    """The Redis of a shared ``RateLimit`` could not be reached (or answered with an error) and
    the limit says ``fallback="fail"``: the request was not sent. Not retried by the client;
    the next request asks Redis again once a few seconds have passed. The message names the
    Redis URL without its password."""


class JournalError(NcpError):
    """A bulk write's journal cannot be used: it belongs to another batch (kind, target or
    format version), another run holds it, a line before its last is not a record, or writing
    it failed. The message names the file, and both batches when they differ."""


# -- service codes -----------------------------------------------------------------------------

# By status, below 429 (``error_class`` decides 429 and 5xx before looking here).
_BY_STATUS: Final[Mapping[int, type[ApiError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
}

# Service codes whose meaning overrides the HTTP status (below 429/5xx, which always win), by
# meaning. The API Gateway's codes are short ("200"), VOD Station's are 2600xx, Live Station's
# 2500xx-2507xx, Media Intelligence's 1xxxx: the ranges do not collide. Codes not listed take
# their class from the HTTP status. The messages live with the services (and the emulator).
_CODES: Final = {
    # The gateway's 100 and 430 (entity too large); VOD Station's parameter checks (260012 to
    # 260047: protocol, segment duration, bucket name, CDN type, channel name, encryption and
    # DRM; HTTP status not documented); Live Station's invalid values (250002, 250011), region
    # not supported (250019), a page number below 1 (250600), a bucket name not allowed
    # (250703, 250704); Media Intelligence's invalid requests (10016: a folder as a key).
    BadRequestError: """100 430 260002 260003 260011 260012 260013 260021 260025 260026 260027
        260028 260029 260030 260032 260033 260034 260035 260036 260037 260038 260039 260040
        260041 260042 260043 260044 260045 260046 260047 250002 250003 250011 250012 250014
        250018 250019 250020 250021 250022 250506 250600 250703 250704 10001 10014 10016 10023""",
    AuthenticationError: "200",
    # The gateway's 210 and 230; no access to Object Storage (250505).
    PermissionDeniedError: "210 230 260006 260010 250006 250010 250015 250017 250505",
    # Live Station's unknown channel arrives as HTTP 400 (250100, 250123).
    NotFoundError: """300 260004 260017 250004 250100 250123 250300 250301 250501 250701 250702
        250705""",
    RateLimitError: "400 410 420",
    # A record file upload error (250502).
    ServerError: "500 510 900 260000 260009 250000 250009 250016 250502",
    # The wrong state: VOD channel start only when STOPPED (260022), stop only when READY
    # (260023), delete only when STOPPED (260024); Live channel not publishing (250101, 250134),
    # publishing (250102), never published (250103), CDN not running (250107), being created or
    # changed (250109), to be returned first (250113), delete only in READY (250114), no DVR
    # (250115, 250121, 250133), URLs only while the CDN is RUNNING (250124) or the channel READY
    # (250125), recording already started (250135, 250136) or not running (250137), a time
    # machine URL only while recording (250141), an upload only from TRANSFER_READY or
    # TRANSFER_FAIL (250507), a record id already requested (250700).
    ConflictError: """260022 260023 260024 250101 250102 250103 250107 250109 250113 250114
        250115 250121 250124 250125 250133 250134 250135 250136 250137 250141 250507 250700""",
}
_BY_CODE: Final = {code: cls for cls, codes in _CODES.items() for code in codes.split()}


def shorten(text: str, limit: int = _defaults.MESSAGE_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters (with ``…``): a server's text is bounded."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: JSON fields whose values are secrets (Live Station's stream keys): an excerpt of a body never
#: shows them, in JSON (``"streamKey": "..."``) or in a Python repr (``'streamKey': '...'``),
#: quoted or not, whole or cut off by the excerpt's end.
_SECRET_VALUE: Final = re.compile(
    r"""(?P<name>(["'])(?:backupS|s)treamKey\2\s*:\s*)"""
    r"""(?:(?P<q>["'])(?:(?!(?P=q))[^\\]|\\.)*(?:(?P=q)|\\?$)|[^\s,}\]]+)"""
)


def _hide(match: re.Match[str]) -> str:
    quote = match["q"] or '"'
    return f"{match['name']}{quote}<hidden>{quote}"


def scrub(body: bytes, secrets: Iterable[str]) -> bytes:
    """``body`` with each of ``secrets`` (the request's own access key, signature and timestamp:
    a server or proxy may echo the request's headers in an error page) replaced by
    ``<hidden>``, as sent and as JSON (``\\/``) or a URL (``%2F``) would escape it."""
    for secret in secrets:
        for form in {secret, secret.replace("/", "\\/"), quote(secret, safe="")}:
            body = body.replace(form.encode(), b"<hidden>")
    return body


def excerpt(body: bytes | str, limit: int = _defaults.EXCERPT_CHARS) -> str:
    """The first ``limit`` characters of a body, decoded leniently, on one line: whitespace
    collapsed, other unprintable characters (NULs of a bomb, escape sequences) shown as ``·``,
    the values of secret fields (stream keys) replaced by ``<hidden>``."""
    text = body[: limit * 4].decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = "".join(ch if ch.isprintable() or ch.isspace() else "·" for ch in text[: limit * 2])
    text = _SECRET_VALUE.sub(_hide, text)
    return shorten(" ".join(text.split()), limit)


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, dict | list) else str(value)


def _parse_body(body: bytes) -> tuple[str | None, str | None, str | None]:
    """(code, message, details) from any of the error dialects, or Nones.

    Gateway and VOD Station: ``{"error": {"errorCode": "200", "message", "details"}}`` (older
    VOD pages: an integer under ``code``); Live Station: the same envelope with a numeric
    ``errorCode`` and ``errorName``; Media Intelligence: ``{"code": "10001", "message"}`` at top
    level (its overview names the object ``responseError``, so that wrapper is read too). An
    object without either wrapper is read as the envelope itself, so a bare ``{"message": ...}``
    (a proxy's, say) gives its message.
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None, None, None
    if not isinstance(data, dict):
        return None, None, None
    err = next((e for e in (data.get("error"), data.get("responseError")) if type(e) is dict), data)
    code = err.get("errorCode", err.get("code"))
    details = _text(err.get("details")) or _text(err.get("errorName"))
    return _text(code), _text(err.get("message")), details


def error_class(status: int, code: str | None) -> type[ApiError]:
    """The exception class for an error ``status`` and service ``code``. Pure.

    429 is always a ``RateLimitError`` and 5xx always a ``ServerError``, whatever the code says:
    those are retried by status. Below that, a known code wins over the status (Live Station's
    250100 arrives as HTTP 400 and is a ``NotFoundError``), else the status decides.
    """
    if status == 429:
        return RateLimitError
    if status >= 500:
        return ServerError
    return _BY_CODE.get(code or "") or _BY_STATUS.get(status, ApiError)


def error_from_response(
    status: int,
    body: bytes,
    *,
    service: str,
    request: str,
    retry_after: str | None = None,
    now: float,
) -> ApiError:
    """Map an error response to the right ``ApiError`` subclass. Pure; never raises.

    ``retry_after`` is the raw header; ``now`` (epoch seconds, the time the response arrived)
    resolves its HTTP-date form.
    """
    code, message, details = _parse_body(body)
    if message is None:
        message = excerpt(body) or f"HTTP {status} with an empty body"
    return error_class(status, code)(
        message,
        status=status,
        code=code,
        service=service,
        request=request,
        details=details,
        retry_after=parse_retry_after(retry_after, now),
    )
