"""VOD Station records: categories, encoding options, encoding jobs and their statuses, status
statistics, channels and their events, callbacks.

The VOD Station pages mark every response field optional, so every field here may be ``None``
(a count the statistics leave out is 0): one item with a null or missing ``status`` or ``time``
does not fail its page. Ids are integers in the current documents and strings in older ones;
an integer field takes either (``"13814"`` reads as ``13814``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ._base import OpenStrEnum, local_field, wire_field

__all__ = [
    "AudioSettings",
    "Category",
    "ChannelCallback",
    "ChannelEvent",
    "CodecOptions",
    "EncodingCallback",
    "EncodingInput",
    "EncodingJob",
    "EncodingJobDetail",
    "EncodingOption",
    "EncodingOptionTemplate",
    "EncodingOptionType",
    "EncodingState",
    "EncodingStatus",
    "EventAction",
    "EventRequestType",
    "EventResult",
    "InputMetadata",
    "OutputSettings",
    "StatusStatistics",
    "VideoSettings",
    "VodChannel",
    "VodChannelStatus",
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
        return self in ("COMPLETE", "FAILURE", "CANCELED")


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

    time: datetime | None = wire_field(kind="epoch_s")
    action_type: EventAction | None = None
    request_type: EventRequestType | None = None
    result_code: EventResult | None = None
    message_code: str | None = None
    message: str | None = None


# -- categories and encoding options ------------------------------------------------------------


@attrs.frozen
class OutputSettings:
    """Where encoded files go: a category's ``output`` object, or the ``output`` that
    ``VodStation.add_files`` sends to override it for the files of one call.

    ``file_path`` is a folder in ``bucket_name`` (1 to 256 characters; the documents list ``/``
    among forbidden characters, yet their examples use ``/`` paths, so it is not checked).
    ``access_control`` / ``thumbnail_access_control`` say who may read the outputs and
    thumbnails (the documents do not list the values; ``PRIVATE`` and ``PUBLIC_READ`` are what
    NCP uses elsewhere). The thumbnail bucket and path default, on the service's side, to the
    output's. ``without_category_name`` (``add_files`` only) asks for no folder named after the
    category in the output path (the documents give only the name; this reading of it is
    inferred).
    """

    bucket_name: str | None = None
    file_path: str | None = None
    thumbnail_bucket_name: str | None = None
    thumbnail_file_path: str | None = None
    access_control: str | None = None
    thumbnail_access_control: str | None = None
    without_category_name: bool | None = None


@attrs.frozen
class Category:
    """A VOD Station category, an encoding profile (``GET /api/v2/category`` and
    ``/category/{categoryId}``): where outputs go, which encoding options make them, the
    callback URL.

    ``last_work_start``, ``create_time`` and ``update_time`` are sent as epoch *milliseconds*
    (``update_time``: name and unit inferred, the detail page's table breaks off there).
    ``encoding_options`` (encoding option ids) and ``encoding_option_template_id`` are on the
    category object in the older documents only; a category that carries neither leaves the
    number of its outputs unknown. ``disabled`` is ``True`` when the calling sub-account may
    not use the category.
    """

    id: int | None = None
    name: str | None = None
    disabled: bool | None = None
    thumbnail: bool | None = None
    notification_url: str | None = None
    output: OutputSettings | None = None
    encoding_options: tuple[int, ...] | None = None
    encoding_option_template_id: int | None = None
    last_work_start: datetime | None = wire_field(kind="epoch_ms")
    create_time: datetime | None = wire_field(kind="epoch_ms")
    update_time: datetime | None = wire_field(kind="epoch_auto")


class EncodingOptionType(OpenStrEnum):
    """What an encoding option makes: ``NORMAL`` video and audio, ``AUDIO`` audio only."""

    NORMAL = "NORMAL"
    AUDIO = "AUDIO"


@attrs.frozen
class CodecOptions:
    """H.264 settings of an encoding option. ``profile`` is ``BASELINE``, ``MAIN`` or ``HIGH``;
    ``level`` is kept as sent (the documents list text such as ``"4.1"`` and ``"1b"``)."""

    profile: str | None = None
    level: Any = None


@attrs.frozen
class VideoSettings:
    """The video part of an encoding option. ``bitrate`` in *Kbps*; ``width``/``height`` in
    pixels, ``-2`` meaning "keep the aspect ratio"; ``framerate``/``max_framerate`` in frames per
    second; ``keyframe_interval`` in *seconds*."""

    codec: str | None = None
    codec_options: CodecOptions | None = None
    bitrate: int | None = None
    width: int | None = None
    height: int | None = None
    framerate: float | None = None
    max_framerate: float | None = None
    keyframe_interval: float | None = None
    rate_control: str | None = None


@attrs.frozen
class AudioSettings:
    """The audio part of an encoding option: ``bitrate`` in *Kbps*, ``sampling_rate`` in *Hz*,
    ``channel`` the number of channels."""

    codec: str | None = None
    channel: int | None = None
    bitrate: int | None = None
    sampling_rate: int | None = None


@attrs.frozen
class EncodingOption:
    """One encoding option (``GET /api/v2/encoding-option``): one output file of each input of a
    category that uses it. ``name`` (``AVC_HD_1Pass_30fps``) is what encoding statuses and
    callbacks carry as ``output_type``. ``video`` is ``None`` for ``AUDIO`` options.
    ``default_set`` is ``True`` for NCP's presets, ``False`` for the account's own (the OpenAPI
    file puts it on the detail response only)."""

    id: int | None = None
    name: str | None = None
    disabled: bool | None = None
    encoding_option_type: EncodingOptionType | None = None
    format: str | None = None
    video: VideoSettings | None = None
    audio: AudioSettings | None = None
    default_set: bool | None = None


@attrs.frozen
class EncodingOptionTemplate:
    """A set of encoding options a category can use as a whole
    (``GET /api/v2/encoding-option/template``)."""

    id: int | None = None
    name: str | None = None
    encoding_option_ids: tuple[int, ...] = ()


# -- encoding jobs ------------------------------------------------------------------------------


@attrs.frozen
class EncodingJob:
    """One input file submitted for encoding by ``VodStation.add_files``.

    ``file_id`` is the file encoding job id the service returned for it (the ``fileId`` of
    callbacks and of ``VodStation.encoding_job``), or ``None`` when the response did not say
    which id is whose. ``input_path`` is the input as sent: an object path in ``bucket_name``,
    or an HTTP(S) URL (``bucket_name`` is then ``None``). ``submitted_at`` is when the request
    left, by the gateway's clock as far as the client knows it (aware UTC): encodings of this
    job start at or after it.

    ``outputs`` is empty as ``add_files`` returns the job; ``VodStation.wait_for_encodings``
    yields the job again with one ``EncodingStatus`` per output type, every one terminal.
    ``ambiguous`` is True when the status list showed, for one of its output types, more than
    one row that may be this job's (the same input submitted again close by: the list has no
    file ids to tell them apart); ``outputs`` then holds the most recent of them.

    ``from_journal`` is True on a job ``add_files(journal=...)`` read from its journal: the
    input was submitted by an earlier run of the batch, and nothing was sent for it
    (``submitted_at`` is that run's).
    """

    file_id: int | None
    category_id: int
    input_path: str
    bucket_name: str | None = None
    submitted_at: datetime | None = None
    outputs: tuple[EncodingStatus, ...] = ()
    ambiguous: bool = False
    from_journal: bool = False

    def __str__(self) -> str:
        return self.input_path

    @property
    def succeeded(self) -> bool:
        """Whether the job has outputs and every one is ``COMPLETE``."""
        return bool(self.outputs) and all(o.status == EncodingState.COMPLETE for o in self.outputs)

    @property
    def links(self) -> tuple[str, ...]:
        """The URLs of the outputs that completed."""
        return tuple(o.link for o in self.outputs if o.status == EncodingState.COMPLETE and o.link)


@attrs.frozen
class InputMetadata:
    """What VOD Station read off an input file: ``duration`` in *seconds*, bitrates in *Kbps*,
    ``width``/``height`` in pixels, ``framerate`` in frames per second (text in the older
    documents: a ``float`` when the text is a number, else the text as sent, ``"30000/1001"``
    say), ``audio_sampling_rate`` in *Hz*. ``profile`` is in the older
    documents only."""

    duration: float | None = None
    video_codec: str | None = None
    video_bitrate: float | None = None
    profile: str | None = None
    width: int | None = None
    height: int | None = None
    framerate: float | str | None = None
    audio_codec: str | None = None
    audio_bitrate: float | None = None
    audio_sampling_rate: float | None = None


@attrs.frozen
class EncodingInput:
    """The input file of an encoding job: its ``bucket_name`` and ``file_path`` (with the file
    name) and the ``metadata`` read off it."""

    file_id: int | None = None
    bucket_name: str | None = None
    file_path: str | None = None
    metadata: InputMetadata | None = None


@attrs.frozen
class EncodingJobDetail:
    """One encoding job (``GET /api/v2/status/{fileId}``): its category and its input.

    The current documents list ``categoryId`` and ``categoryName`` beside ``content``, the older
    ones inside it; both places are read (inside wins). The rest of the body (further metadata,
    the per-output part) was not recovered from the documents: ``content`` keeps the whole
    decoded ``content`` object as plain JSON, untyped.
    """

    category_id: int | None = None
    category_name: str | None = None
    input: EncodingInput | None = None
    content: Any = local_field()


# -- channels -----------------------------------------------------------------------------------


class VodChannelStatus(OpenStrEnum):
    """VOD Station channel state. ``READY`` means running (serving streams).

    The documents spell two states two ways: ``FORCETERMINATING``/``FORCETERMINATED`` (API
    pages) and ``FORCE_TERMINATING``/``FORCE_TERMINATED`` (callback page); both are members, and
    ``canonical`` maps the first spelling to the second. ``STARTING`` is only in the callback
    page, ``CREATING`` only in the API pages.
    """

    CREATING = "CREATING"
    STARTING = "STARTING"
    READY = "READY"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    TERMINATING = "TERMINATING"
    TERMINATED = "TERMINATED"
    FORCE_STOPPING = "FORCE_STOPPING"
    FORCE_STOPPED = "FORCE_STOPPED"
    FORCE_TERMINATING = "FORCE_TERMINATING"
    FORCE_TERMINATED = "FORCE_TERMINATED"
    FORCETERMINATING = "FORCETERMINATING"
    FORCETERMINATED = "FORCETERMINATED"

    @property
    def canonical(self) -> VodChannelStatus:
        """The callback page's spelling of this state (``FORCETERMINATED`` →
        ``FORCE_TERMINATED``); every other state is itself."""
        return VodChannelStatus[self.name.replace("FORCET", "FORCE_T")] if self.known else self


@attrs.frozen
class VodChannel:
    """A VOD Station channel (``GET /api/v2/channels`` and ``/channels/{channelId}``): streams
    the MP4 files of one bucket as HLS/DASH behind a CDN.

    ``segment_duration`` is in *seconds*. ``create_time``, ``ready_time``, ``cdn_created_time``
    and ``stop_time`` are epoch times whose unit the documents disagree on (milliseconds in the
    list, seconds on the start/stop pages): a value above 10^11 is read as milliseconds, any
    other as seconds. ``play_url`` is a template with the literal placeholders ``[protocol]``,
    ``[path]``, ``[video filename]`` and ``[manifest]``. ``encrypted_bucket_name``,
    ``segment_duration_option``, ``access_private_files`` and the ``cdn_*`` fields are on the
    detail page only.
    """

    id: str | None = None
    name: str | None = None
    disabled: bool | None = None
    channel_status: VodChannelStatus | None = None
    storage_bucket_name: str | None = None
    encrypted_bucket_name: str | None = None
    segment_duration: int | None = None
    segment_duration_option: str | None = None
    access_private_files: bool | None = None
    protocol_list: tuple[str, ...] | None = None
    create_time: datetime | None = wire_field(kind="epoch_auto")
    ready_time: datetime | None = wire_field(kind="epoch_auto")
    cdn_created_time: datetime | None = wire_field(kind="epoch_auto")
    stop_time: datetime | None = wire_field(kind="epoch_auto")
    play_url: str | None = None
    cdn_status: str | None = None
    cdn_domain: str | None = None
    cdn_service_name: str | None = None


# -- callbacks ----------------------------------------------------------------------------------


@attrs.frozen
class EncodingCallback:
    """A category (encoding) callback: one output of one job changed state.

    The service POSTs one per encoding option and state: a three-option category sends three
    ``WAITING`` messages for a file, then ``RUNNING`` and ``COMPLETE`` (or ``FAILURE``) per
    option. ``file_path`` is ``""`` while ``WAITING``; otherwise the documents call it the input
    path, yet their example carries what looks like the output's path: treat it as opaque.
    ``link`` (the output file's URL) comes only with ``COMPLETE``. Delivery is not documented
    (retries, order, duplicates): use ``key`` to drop repeats and read ``status`` as the latest
    only if it moves forward.
    """

    file_id: int | None = None
    encoding_option_id: int | None = None
    status: EncodingState | None = None
    category_id: int | None = None
    category_name: str | None = None
    file_path: str | None = None
    output_type: str | None = None
    link: str | None = None

    @property
    def key(self) -> tuple[int | None, int | None, str | None]:
        """``(file_id, encoding_option_id, status)``: the same message delivered twice has the
        same key."""
        status = None if self.status is None else self.status.value
        return (self.file_id, self.encoding_option_id, status)

    @property
    def terminal(self) -> bool:
        """Whether this output's encoding finished (see ``EncodingState.terminal``)."""
        return self.status is not None and self.status.terminal


@attrs.frozen
class ChannelCallback:
    """A channel callback: a VOD Station channel changed state (``channel_status``; see
    ``VodChannelStatus`` for the two spellings). ``key`` drops repeats."""

    id: str | None = None
    name: str | None = None
    channel_status: VodChannelStatus | None = None

    @property
    def key(self) -> tuple[str | None, str | None]:
        """``(id, channel_status)``: the same message delivered twice has the same key."""
        return (self.id, None if self.channel_status is None else self.channel_status.value)
