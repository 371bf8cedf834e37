"""VOD Station records: encoding statuses, status statistics, channel events.

The VOD Station pages mark every response field optional, so every field here may be ``None``
(a count the statistics leave out is 0): one item with a null or missing ``status`` or ``time``
does not fail its page.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from ._base import OpenStrEnum, wire_field

__all__ = [
    "ChannelEvent",
    "EncodingState",
    "EncodingStatus",
    "EventAction",
    "EventRequestType",
    "EventResult",
    "StatusStatistics",
]


class EncodingState(OpenStrEnum):
    """VOD Station encoding status of one output file."""

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILURE = "FAILURE"
    CANCELED = "CANCELED"

    @property
    def terminal(self) -> bool:
        """COMPLETE, FAILURE and CANCELED do not change any more."""
        return self in _ENCODING_TERMINAL


_ENCODING_TERMINAL = frozenset(
    {EncodingState.COMPLETE, EncodingState.FAILURE, EncodingState.CANCELED}
)


class EventAction(OpenStrEnum):
    """VOD Station channel event ``actionType``."""

    CREATE = "CREATE"
    START = "START"
    STOP = "STOP"
    DELETE = "DELETE"


class EventRequestType(OpenStrEnum):
    """Who asked for a channel event: the console (``MC``), the API, or ``MCC``."""

    MC = "MC"
    API = "API"
    MCC = "MCC"


class EventResult(OpenStrEnum):
    """VOD Station channel event ``resultCode``."""

    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


@attrs.frozen
class EncodingStatus:
    """One output file of a VOD Station encoding (``GET /api/v2/status``).

    ``output_total_size`` is in bytes; ``percent`` is 0-100; ``last_work_time`` is aware (the API
    sends ISO 8601 with a ``+0900`` offset, kept as given). ``status`` is ``None`` when the item
    has none (the page marks it optional); ``terminal`` then says the output is not finished.
    """

    status: EncodingState | None = None
    category_id: int | None = None
    category_name: str | None = None
    file_path: str | None = None
    output_type: str | None = None
    link: str | None = None
    output_total_size: int | None = None
    last_work_time: datetime | None = None
    percent: float | None = None

    @property
    def terminal(self) -> bool:
        """Whether this output's encoding finished (see ``EncodingState.terminal``); an output
        without a ``status`` or with an unknown one counts as not finished."""
        return self.status is not None and self.status.terminal

    @property
    def output_key(self) -> tuple[int | None, str | None, str | None]:
        """``(category_id, file_path, output_type)``: the same output file across walks, while
        its ``status`` and ``percent`` change."""
        return (self.category_id, self.file_path, self.output_type)


@attrs.frozen
class StatusStatistics:
    """Encoding job counts of VOD Station categories (``GET /api/v2/status/status-statistic``).

    The document's field table says the counts are strings and omits ``complete``; its example sends
    integers and has ``complete``. Both are accepted; every count is an ``int``, and a count the
    body leaves out is 0.
    """

    waiting: int = 0
    running: int = 0
    complete: int = 0
    failure: int = 0
    canceled: int = 0

    @property
    def total(self) -> int:
        """All jobs counted, in every state."""
        return self.waiting + self.running + self.complete + self.failure + self.canceled


@attrs.frozen
class ChannelEvent:
    """One event of a VOD Station channel (``GET /api/v2/channels/{channelId}/events``).

    ``time`` is sent as epoch *seconds* and given here as an aware UTC datetime; ``None`` when
    the event has none (the page marks it optional).
    """

    time: datetime | None = wire_field(kind="epoch_s", default=None)
    action_type: EventAction | None = None
    request_type: EventRequestType | None = None
    result_code: EventResult | None = None
    message_code: str | None = None
    message: str | None = None
