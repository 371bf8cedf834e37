"""Every default of the client in one place. Times are in seconds unless the name says ``_MS``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from ._version import __version__

# Hosts, API path prefixes and Live Station region codes, per zone (``Endpoints.public()``,
# ``.gov()``, ``.fin()``). Every host can be overridden with ``Endpoints``.
VOD_STATION_URL: Final = "https://vodstation.apigw.ntruss.com"
LIVE_STATION_URL: Final = "https://livestation.apigw.ntruss.com"
# Media AI Understanding was renamed Media Intelligence; the current docs use this host. The older
# host ``https://maiu.apigw.ntruss.com`` (still in some pages) serves the same data.
MEDIA_AI_URL: Final = "https://mi.apigw.ntruss.com"
# Government zone: VOD Station only (its docs use the hyphenated host; an OpenAPI file the other).
VOD_STATION_GOV_URL: Final = "https://vod-station.apigw.gov-ntruss.com"
# Financial zone: VOD Station on its own host; Live Station on the public host under
# ``/api/fin-v2`` with region code ``FKR``; no Media Intelligence.
VOD_STATION_FIN_URL: Final = "https://vodstation.apigw.fin-ntruss.com"
VOD_STATION_PREFIX: Final = "/api/v2"
LIVE_STATION_PREFIX: Final = "/api/v2"
LIVE_STATION_FIN_PREFIX: Final = "/api/fin-v2"
MEDIA_AI_PREFIX: Final = "/api/v1"
REGION_CODE: Final = "KR"
FIN_REGION_CODE: Final = "FKR"

# Transport
TIMEOUT: Final = 30.0  # seconds, one attempt from connect to the last body byte
CONNECT_TIMEOUT: Final = 10.0  # seconds, TCP + TLS connect of one attempt
MAX_CONNECTIONS: Final = 100  # the connector's pool size across all hosts
USER_AGENT: Final = f"ncp-media-async/{__version__}"
# Bodies: the most a response may carry, counted after decompression while reading (bytes). A
# page of 1,000 encoding statuses is about 300 KB; a gzip bomb or an endless chunked body stops
# here with ``BodyTooLargeError`` instead of taking the machine's memory.
MAX_BODY_SIZE: Final = 32 * 1024 * 1024
# An error response is only read this far (bytes): its code and message sit at the start.
MAX_ERROR_BODY: Final = 64 * 1024

# Retries
MAX_RETRIES: Final = 4  # retries after the first attempt
INITIAL_DELAY: Final = 0.5  # seconds, the first back-off ceiling (full jitter below it)
MAX_DELAY: Final = 20.0  # seconds, the largest single back-off
RETRY_AFTER_CAP: Final = 60.0  # seconds, the longest ``Retry-After`` the client will honour
DEADLINE: Final = 120.0  # seconds, one call across all its attempts and back-offs

# Clock skew: the gateway rejects timestamps more than 5 minutes off. The client corrects itself
# from the response ``Date`` header when its own clock is further off than this.
CLOCK_SKEW_THRESHOLD: Final = 60.0  # seconds
GATEWAY_TIMESTAMP_WINDOW: Final = 300.0  # seconds

# Paging
PAGE_SIZE: Final = 20  # the services' own default ``pageSizeNo``
MAX_PAGE_SIZE: Final = 1000  # larger sizes cannot be meant; the services document at most 100
ENCODING_STATUS_MIN_PAGE_SIZE: Final = 10  # documented lower bound of the encoding status list
MEDIA_AI_PAGE_SIZE: Final = 100  # Media Intelligence lists (``pageSize``, documented 1 to 1,000)
MEDIA_AI_MAX_PAGE_SIZE: Final = 1000

# Polling
POLL_CONCURRENCY: Final = 64  # requests in flight across one batch
POLL_INTERVAL: Final = 2.0  # seconds between two polls of one target
POLL_JITTER: Final = 0.1  # +/- fraction of the interval
POLL_MAX_FAILURES: Final = 3  # transient failures in a row (after the transport's retries)
WAIT_BUFFER: Final = 1000  # results a wait's steps may emit ahead of the consumer

# Media Intelligence analyses (indexes)
INDEX_POLL_INTERVAL: Final = 5.0  # seconds between two polls of one analysis
# Seconds a BEFORE_ANALYZE status after a request is read as "not picked up yet"; after that it
# is final (no analysis is coming).
INDEX_START_GRACE: Final = 60.0
# ``analysisPersonCount`` sent when none is given: the older pages' default (newer pages mark the
# field required without a default, so it is always sent).
INDEX_PERSON_COUNT: Final = 6
# VOD Station encodings
ADD_FILES_MAX_INPUTS: Final = 100  # documented limit of one add-files request
ENCODING_WAIT_INTERVAL: Final = 5.0  # seconds between two walks of the status list
ENCODING_WALK_PAGE_SIZE: Final = 100  # items a page when a wait walks the status list
ENCODING_WALK_PREFETCH: Final = 4  # pages in flight when a wait walks the status list
# seconds a walk of the status list starts before the earliest submission: the client learns the
# gateway's clock only when it is off by more than CLOCK_SKEW_THRESHOLD
ENCODING_WINDOW_SLACK: Final = 120.0

# A rate limit shared through Redis (``RateLimit(shared=...)``): one Redis command, connecting
# included, is given at most this long (not counting a queue for a pooled connection); after a
# failure Redis is asked again this long after (meanwhile the process paces itself at its share);
# a process counts as a participant of the
# shared limit for this long after its last request, or two periods of the limit if longer (and
# the budget's keys live this long after its last slot); a next slot further ahead than an hour,
# or ten periods if longer, is corrupt (a queue of waiters with the default 120 s deadline
# reaches at most 120 s and one spacing ahead).
SHARED_LIMIT_REDIS_TIMEOUT: Final = 1.0  # seconds
SHARED_LIMIT_RETRY_INTERVAL: Final = 5.0  # seconds
SHARED_LIMIT_LIVE_MIN: Final = 10.0  # seconds
SHARED_LIMIT_MAX_AHEAD: Final = 3600.0  # seconds
SHARED_LIMIT_CONNECTIONS: Final = 8  # Redis connections per client (each call is one round trip)

# Error texts: how much of an unreadable body an exception shows, and how long a server's message
# or details may be in an exception (characters).
EXCERPT_CHARS: Final = 200
MESSAGE_CHARS: Final = 500

# Injectable time (tests pass fakes): a clock in seconds and an async sleep in seconds.
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
