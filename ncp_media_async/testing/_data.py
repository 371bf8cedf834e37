"""The emulator's data: scenarios, stores with fast windowed paging, and seeded generation.

Units, as the real services use them: encoding work starts and windows are epoch
*milliseconds*, ``lastWorkTime`` is ISO 8601 in KST (``+0900``), channel event ``time`` is epoch
*seconds*, Live Station record times and ``duration`` are epoch/elapsed *milliseconds*, Media AI
``durationMs`` is *milliseconds* and ``size`` is bytes.
"""

from __future__ import annotations

import bisect
import random
import string
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from ._wire import KST, kst_iso

__all__ = [
    "ENCODING_STATUS_VALUES",
    "IMPORT_TERMINAL_STATES",
    "WORK_START_KEY",
    "EncodingStore",
    "ImportAsset",
    "ImportState",
    "ProgressingEncoding",
    "Scenario",
    "encoding_fields",
    "generate_channel_events",
    "generate_encodings",
    "generate_imports",
    "generate_progressing_encodings",
    "generate_recordings",
    "remove_from_end",
    "work_start_of",
]

WORK_START_KEY: Final = "_workStartTimeMs"
"""Key of a raw encoding item that holds its work start in epoch *milliseconds*.

The emulator filters ``workStartTimeFrom``/``workStartTimeTo`` on it and strips it from the
body it serves (the real service filters on a time it does not send either).
"""

ENCODING_STATUS_VALUES: Final = ("WAITING", "RUNNING", "COMPLETE", "FAILURE", "CANCELED")
"""Known encoding ``status`` values, in the order of the statistics buckets."""

_STATISTIC_KEYS: Final = ("waiting", "running", "complete", "failure", "canceled")
_BUCKET: Final = {status: index for index, status in enumerate(ENCODING_STATUS_VALUES)}

IMPORT_TERMINAL_STATES: Final = frozenset(
    {"COMPLETED", "FAILED", "FILE_NOT_EXIST", "INVALID_METADATA"}
)
"""Media AI ``uploadStatus`` values after which the status no longer changes."""

_UPLOAD_RESULTS: Final = {
    "IN_PROGRESS": "Upload in progress",
    "COMPLETED": "Video copy completed",
    "FAILED": "Upload failed",
    "FILE_NOT_EXIST": "No file",
    "INVALID_METADATA": "Unsupported resolution (supported resolutions: 360p to 1080p)",
}

# Fixed origin for generated ids, so that ids depend on the seed only, never on the clock.
_ID_EPOCH: Final = 1_740_000_000  # 2025-02-19, epoch seconds


def _nonnegative(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value!r}")


def _fraction(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be between 0 and 1, got {value!r}")


def _positive(_instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be > 0, got {value!r}")


def remove_from_end(items: list[Any], count: int, *, newest: bool) -> int:
    """Delete up to ``count`` items from the head (``newest``) or the tail; return how many."""
    count = max(0, min(count, len(items)))
    if newest:
        del items[:count]
    else:
        del items[len(items) - count :]
    return count


@attrs.frozen(kw_only=True)
class Scenario:
    """How much seeded data an ``Emulator`` starts with.

    The same ``seed`` gives the same ids, values and outcomes. Times are laid out relative to
    ``anchor_ms`` (epoch *milliseconds*; ``None``: the emulator's clock when the data is
    loaded), so with a fixed anchor the data is identical byte for byte.

    * ``encodings`` static, already-terminal encoding statuses (mostly ``COMPLETE``, some
      ``FAILURE``/``CANCELED``), work starts spread over the ``window_seconds`` *seconds*
      before the anchor, one to three outputs per input file;
    * ``progressing_encodings`` jobs that go ``WAITING`` → ``RUNNING`` (percent growing) →
      terminal as the emulator's clock advances, started in the five minutes before the
      emulator's clock at load time;
    * ``vod_channels`` VOD Station channels ``vs-...`` with ``events_per_channel`` events each;
    * ``live_channels`` Live Station channels ``ls-...`` with ``recordings_per_channel``
      records each (alternating MP4 and HLS);
    * ``imports`` Media AI video assets in ``workspace``/``project_id`` with ids
      ``first_asset_id``, ``first_asset_id + 1``, ...; a fraction ``import_failure_rate`` ends
      in ``FAILED``/``FILE_NOT_EXIST``/``INVALID_METADATA``, the rest in ``COMPLETED``, each
      after 1 to ``max_import_polls`` polls, or after exactly ``import_polls`` polls when it is
      set (as the benchmarks need).
    """

    seed: int = 0
    encodings: int = attrs.field(default=300, validator=_nonnegative)
    progressing_encodings: int = attrs.field(default=0, validator=_nonnegative)
    window_seconds: float = attrs.field(default=86_400.0, validator=_positive)
    anchor_ms: int | None = None
    vod_channels: int = attrs.field(default=3, validator=_nonnegative)
    events_per_channel: int = attrs.field(default=40, validator=_nonnegative)
    live_channels: int = attrs.field(default=2, validator=_nonnegative)
    recordings_per_channel: int = attrs.field(default=6, validator=_nonnegative)
    workspace: str = "emulator-workspace"
    project_id: str = "1234"
    imports: int = attrs.field(default=300, validator=_nonnegative)
    first_asset_id: int = attrs.field(default=10_000, validator=_nonnegative)
    import_failure_rate: float = attrs.field(default=0.2, validator=_fraction)
    max_import_polls: int = attrs.field(default=4, validator=_positive)
    import_polls: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(_positive)
    )

    @classmethod
    def default(cls, seed: int = 0) -> Scenario:
        """The default data set: a few hundred of everything, nothing progressing."""
        return cls(seed=seed)

    @classmethod
    def demo(cls, seed: int = 0) -> Scenario:
        """A livelier set for the CLI demo: thousands of imports, encodings in progress."""
        return cls(
            seed=seed,
            encodings=600,
            progressing_encodings=60,
            events_per_channel=60,
            imports=3000,
            import_failure_rate=0.12,
            max_import_polls=5,
        )

    @classmethod
    def empty(cls, seed: int = 0) -> Scenario:
        """No data at all: tests put in exactly what they need."""
        return cls(
            seed=seed,
            encodings=0,
            vod_channels=0,
            live_channels=0,
            imports=0,
        )


# --------------------------------------------------------------------------------------------
# Encoding statuses
# --------------------------------------------------------------------------------------------


@attrs.define(kw_only=True)
class ProgressingEncoding:
    """An encoding job whose status is computed from the emulator's clock.

    From ``work_start_ms`` (epoch *milliseconds*) it is ``WAITING`` for ``queue_ms``, then
    ``RUNNING`` for ``run_ms`` (*milliseconds*) with ``percent`` growing linearly to
    ``final_percent``, then ``outcome`` (``COMPLETE``, ``FAILURE`` or ``CANCELED``) for good.
    ``lastWorkTime`` is the work start while waiting, the current time while running and the
    end time afterwards; ``outputTotalSize`` grows with the percent and is ``0`` unless the
    job completes. ``fields`` holds the constant camelCase fields (``categoryId``,
    ``categoryName``, ``filePath``, ``outputType``, ``link``).
    """

    work_start_ms: int
    queue_ms: int
    run_ms: int
    outcome: str = "COMPLETE"
    final_percent: float = 100.0
    output_size: int = 0
    fields: dict[str, Any] = attrs.field(factory=dict)

    def status_at(self, now_ms: int) -> str:
        """The ``status`` at ``now_ms`` (epoch milliseconds)."""
        running_from = self.work_start_ms + self.queue_ms
        if now_ms < running_from:
            return "WAITING"
        if now_ms < running_from + self.run_ms:
            return "RUNNING"
        return self.outcome

    def render(self, now_ms: int) -> dict[str, Any]:
        """The camelCase item VOD Station would send at ``now_ms`` (epoch milliseconds)."""
        running_from = self.work_start_ms + self.queue_ms
        end = running_from + self.run_ms
        if now_ms < running_from:
            status, percent, last, size = "WAITING", 0.0, self.work_start_ms, 0
        elif now_ms < end:
            fraction = (now_ms - running_from) / self.run_ms if self.run_ms else 1.0
            percent = round(fraction * self.final_percent, 1)
            status, last, size = "RUNNING", now_ms, int(self.output_size * percent / 100)
        else:
            status, percent, last = self.outcome, self.final_percent, end
            size = self.output_size if self.outcome == "COMPLETE" else 0
        item = dict(self.fields)
        item["outputTotalSize"] = size
        item["lastWorkTime"] = kst_iso(last)
        item["status"] = status
        item["percent"] = percent
        return item


EncodingEntry = dict[str, Any] | ProgressingEncoding


def work_start_of(item: Mapping[str, Any]) -> int:
    """The work start (epoch ms) of a raw item: ``WORK_START_KEY``, else its ``lastWorkTime``."""
    value = item.get(WORK_START_KEY)
    if value is not None:
        return int(value)
    last = item.get("lastWorkTime")
    if isinstance(last, str):
        try:
            return int(datetime.strptime(last, "%Y-%m-%dT%H:%M:%S%z").timestamp() * 1000)
        except ValueError:
            pass
    raise ValueError(
        f"an encoding status item needs {WORK_START_KEY!r} (epoch ms) or a parseable "
        f"'lastWorkTime' to be filtered by work start time: {dict(item)!r}"
    )


class EncodingStore:
    """Encoding statuses served newest work start first, windowed and paged in O(log n + page).

    Entries are kept sorted by descending work start (stable: equal starts keep insertion
    order). Window bounds are found by bisection; status counts of static items come from
    prefix sums, progressing items (few) are evaluated at the request's time.
    """

    __slots__ = ("_dirty", "_dynamic_positions", "_entries", "_neg_starts", "_prefix")

    def __init__(self) -> None:
        self._entries: list[tuple[int, EncodingEntry]] = []
        self._neg_starts: list[int] = []
        self._prefix: list[list[int]] = []
        self._dynamic_positions: list[int] = []
        self._dirty = True

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Remove every entry."""
        self._entries = []
        self._dirty = True

    def add(self, entries: Iterable[tuple[int, EncodingEntry]]) -> None:
        """Insert ``(work_start_ms, entry)`` pairs at their place in time."""
        combined = self._entries + list(entries)
        combined.sort(key=lambda pair: -pair[0])
        self._entries = combined
        self._dirty = True

    def remove(self, count: int, *, newest: bool = True) -> int:
        """Remove up to ``count`` entries from the newest (or oldest) end; return how many."""
        count = remove_from_end(self._entries, count, newest=newest)
        if count:
            self._dirty = True
        return count

    def _rebuild(self) -> None:
        entries = self._entries
        self._neg_starts = [-start for start, _ in entries]
        prefix = [[0] * (len(entries) + 1) for _ in _STATISTIC_KEYS]
        dynamic: list[int] = []
        running = [0] * len(_STATISTIC_KEYS)
        for position, (_, entry) in enumerate(entries):
            if isinstance(entry, ProgressingEncoding):
                dynamic.append(position)
            else:
                bucket = _BUCKET.get(entry.get("status"))  # type: ignore[arg-type]
                if bucket is not None:
                    running[bucket] += 1
            for bucket_index, total in enumerate(running):
                prefix[bucket_index][position + 1] = total
        self._prefix = prefix
        self._dynamic_positions = dynamic
        self._dirty = False

    def window(self, start_ms: int | None, end_ms: int | None) -> tuple[int, int]:
        """Positions ``[lo, hi)`` of the entries with ``start_ms <= work start <= end_ms``."""
        if self._dirty:
            self._rebuild()
        neg = self._neg_starts
        lo = 0 if end_ms is None else bisect.bisect_left(neg, -end_ms)
        hi = len(neg) if start_ms is None else bisect.bisect_right(neg, -start_ms)
        return lo, max(lo, hi)

    def page(
        self, lo: int, hi: int, page_no: int, page_size: int, now_ms: int
    ) -> list[dict[str, Any]]:
        """Page ``page_no`` (from 1) of the window ``[lo, hi)``, rendered at ``now_ms``."""
        first = lo + (page_no - 1) * page_size
        return [
            entry.render(now_ms) if isinstance(entry, ProgressingEncoding) else entry
            for _, entry in self._entries[first : min(hi, first + page_size)]
        ]

    def counts(self, lo: int, hi: int, now_ms: int) -> dict[str, int]:
        """Status counts over the window ``[lo, hi)`` at ``now_ms`` (unknown statuses skipped)."""
        if self._dirty:
            self._rebuild()
        result = [p[hi] - p[lo] for p in self._prefix]
        dynamic = self._dynamic_positions
        start = bisect.bisect_left(dynamic, lo)
        stop = bisect.bisect_left(dynamic, hi)
        for position in dynamic[start:stop]:
            entry = self._entries[position][1]
            assert isinstance(entry, ProgressingEncoding)
            bucket = _BUCKET.get(entry.status_at(now_ms))
            if bucket is not None:
                result[bucket] += 1
        return dict(zip(_STATISTIC_KEYS, result, strict=True))

    def snapshot(
        self, start_ms: int | None, end_ms: int | None, now_ms: int
    ) -> list[dict[str, Any]]:
        """Every item of a window as it would be served at ``now_ms``, newest first."""
        lo, hi = self.window(start_ms, end_ms)
        return self.page(lo, hi, 1, max(1, hi - lo), now_ms)


_OUTPUT_TYPES: Final = (
    ("AVC_FHD_2Pass_30fps", 4.0),
    ("AVC_HD_1Pass_30fps", 2.0),
    ("AVC_SD_1Pass_30fps", 0.7),
    ("AVC_SD_1Pass_30fps_1", 1.0),
)
_CATEGORY_NAMES: Final = ("VOD-Category", "news", "sports", "education", "ads")


def _categories(seed: int) -> list[tuple[int, str]]:
    rng = random.Random(f"{seed}:categories")
    return [(rng.randrange(10_000, 99_999), name) for name in _CATEGORY_NAMES]


def encoding_fields(category: tuple[int, str], stem: str, output_type: str) -> dict[str, Any]:
    """The constant camelCase fields of an encoding item.

    ``category`` is ``(categoryId, categoryName)``; ``stem`` is the input path without ``.mp4``.
    """
    category_id, category_name = category
    return {
        "categoryId": category_id,
        "categoryName": category_name,
        "filePath": f"{stem}.mp4",
        "outputType": output_type,
        "link": (
            f"https://kr.object.ncloudstorage.com/station-000/{category_name}/"
            f"{stem}_{output_type}.mp4"
        ),
    }


def generate_encodings(scenario: Scenario, anchor_ms: int) -> list[tuple[int, dict[str, Any]]]:
    """``scenario.encodings`` static terminal items as ``(work_start_ms, item)`` pairs."""
    rng = random.Random(f"{scenario.seed}:encodings")
    categories = _categories(scenario.seed)
    window_ms = int(scenario.window_seconds * 1000)
    result: list[tuple[int, dict[str, Any]]] = []
    job = 0
    while len(result) < scenario.encodings:
        job += 1
        start = anchor_ms - rng.randrange(window_ms)
        duration_ms = rng.randrange(20_000, 900_000)
        roll = rng.random()
        status = "COMPLETE" if roll < 0.85 else "FAILURE" if roll < 0.95 else "CANCELED"
        category = categories[rng.randrange(len(categories))]
        stem = f"input/clip-{job:05d}"
        base_size = rng.randrange(200_000, 400_000_000)
        outputs = rng.sample(_OUTPUT_TYPES, rng.randint(1, 3))
        stopped_at = round(rng.uniform(1.0, 99.0), 1)
        for output_type, factor in outputs:
            if len(result) == scenario.encodings:
                break
            item = encoding_fields(category, stem, output_type)
            complete = status == "COMPLETE"
            item["outputTotalSize"] = int(base_size * factor) if complete else 0
            item["lastWorkTime"] = kst_iso(start + duration_ms)
            item["status"] = status
            item["percent"] = 100.0 if complete else stopped_at
            result.append((start, item))
    return result


def generate_progressing_encodings(scenario: Scenario, now_ms: int) -> list[ProgressingEncoding]:
    """``scenario.progressing_encodings`` jobs started in the five minutes before ``now_ms``."""
    rng = random.Random(f"{scenario.seed}:progressing")
    categories = _categories(scenario.seed)
    jobs: list[ProgressingEncoding] = []
    for index in range(scenario.progressing_encodings):
        roll = rng.random()
        outcome = "COMPLETE" if roll < 0.8 else "FAILURE" if roll < 0.93 else "CANCELED"
        output_type, factor = _OUTPUT_TYPES[rng.randrange(len(_OUTPUT_TYPES))]
        jobs.append(
            ProgressingEncoding(
                work_start_ms=now_ms - rng.randrange(0, 300_000),
                queue_ms=rng.randrange(0, 120_000),
                run_ms=rng.randrange(30_000, 600_000),
                outcome=outcome,
                final_percent=100.0 if outcome == "COMPLETE" else round(rng.uniform(5, 95), 1),
                output_size=int(rng.randrange(1_000_000, 300_000_000) * factor),
                fields=encoding_fields(
                    categories[rng.randrange(len(categories))],
                    f"upload/live-{index:04d}",
                    output_type,
                ),
            )
        )
    return jobs


# --------------------------------------------------------------------------------------------
# Channels: VOD Station events, Live Station recordings
# --------------------------------------------------------------------------------------------

_ALNUM: Final = string.ascii_letters + string.digits


def _channel_id(prefix: str, rng: random.Random, suffix_length: int) -> str:
    created = datetime.fromtimestamp(_ID_EPOCH + rng.randrange(180 * 86_400), tz=KST)
    suffix = "".join(rng.choice(_ALNUM) for _ in range(suffix_length))
    return f"{prefix}-{created:%Y%m%d%H%M%S}-{suffix}"


def generate_channel_events(scenario: Scenario, anchor_ms: int) -> dict[str, list[dict[str, Any]]]:
    """VOD Station channels and their events, newest first, ``time`` in epoch *seconds*."""
    rng = random.Random(f"{scenario.seed}:events")
    anchor_s = anchor_ms // 1000
    channels: dict[str, list[dict[str, Any]]] = {}
    for index in range(scenario.vod_channels):
        channel_id = _channel_id("vs", rng, 7)
        name = f"ch-emulator-{index + 1}"
        count = scenario.events_per_channel
        # Lay the history out backwards from the anchor so the newest event is recent.
        t = anchor_s - rng.randrange(60, 3_600) - count * 4_000
        # (time s, actionType, requestType, messageCode, message suffix, resultCode)
        raw: list[tuple[int, str, str, str, str, str]] = [
            (t, "CREATE", "API", "CHANNEL_CREATING", "creating", "SUCCESS")
        ]
        t += rng.randrange(20, 40)
        raw.append((t, "CREATE", "API", "CHANNEL_READY", "ready", "SUCCESS"))
        running = True
        while len(raw) < count:
            t += rng.randrange(600, 7_200)
            request = rng.choice(("API", "MC", "MCC"))
            if running:
                raw.append((t, "STOP", request, "CHANNEL_READY_TO_STOPPING", "stopping", "SUCCESS"))
                t += rng.randrange(3, 10)
                raw.append(
                    (t, "STOP", request, "CHANNEL_STOPPING_TO_STOPPED", "stopped", "SUCCESS")
                )
            elif rng.random() < 0.1:
                raw.append((t, "START", request, "CHANNEL_START_FAILED", "start failed", "FAILED"))
                continue
            else:
                raw.append(
                    (t, "START", request, "CHANNEL_STOPPED_TO_STARTING", "starting", "SUCCESS")
                )
                t += rng.randrange(25, 45)
                raw.append((t, "START", request, "CHANNEL_START_TO_READY", "ready", "SUCCESS"))
            running = not running
        events = [
            {
                "time": time_s,
                "actionType": action,
                "requestType": request,
                "resultCode": result,
                "messageCode": code,
                "message": f"{name} {suffix}",
            }
            for time_s, action, request, code, suffix, result in reversed(raw[:count])
        ]
        channels[channel_id] = events
    return channels


_RESOLUTIONS: Final = (
    ("1920x1080", 1080, 6_000_000),
    ("1280x720", 720, 3_000_000),
    ("854x480", 480, 1_200_000),
    ("480x270", 270, 400_000),
)


def generate_recordings(scenario: Scenario, anchor_ms: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Live Station channels and their record maps (keyed by record id, times in epoch ms)."""
    rng = random.Random(f"{scenario.seed}:recordings")
    channels: dict[str, dict[str, dict[str, Any]]] = {}
    for _ in range(scenario.live_channels):
        channel_id = _channel_id("ls", rng, 5)
        records: dict[str, dict[str, Any]] = {}
        record_id = rng.randrange(100, 900)
        stream_seq = rng.randrange(100_000, 200_000)
        record_seq = rng.randrange(100_000, 200_000)
        begin = anchor_ms - scenario.recordings_per_channel * 7_200_000
        for index in range(scenario.recordings_per_channel):
            if index % 2 == 0:
                record_seq += 1
                begin += rng.randrange(3_600_000, 7_200_000)
                length = rng.randrange(600_000, 3_600_000)
                resolution, height, bitrate = _RESOLUTIONS[rng.randrange(len(_RESOLUTIONS))]
                latest = index >= scenario.recordings_per_channel - 2
                status = (
                    rng.choice(("RECORDING", "PROCESSING"))
                    if latest and rng.random() < 0.5
                    else rng.choice(("TRANSFER_READY", "TRANSFER_READY", "TRANSFER_FINISH"))
                )
            created = begin + length + rng.randrange(1_000, 9_000)
            stamp = datetime.fromtimestamp(begin / 1000, tz=KST).strftime("%Y%m%d%H%M")
            record: dict[str, Any] = {
                "recordType": "MP4" if index % 2 == 0 else "HLS",
                "channelId": channel_id,
                "status": status,
                "recordSeq": record_seq,
                "streamSeq": stream_seq,
                "recordBeginTime": begin,
                "createdTime": created,
                "shouldDeleteTime": created + 7 * 86_400_000,
                "resolution": resolution,
            }
            if index % 2 == 0:
                file_name = f"{stream_seq}-{record_seq}-{stamp}.mp4"
                record["fileName"] = file_name
                record["duration"] = length  # milliseconds, as the documented example
                upload_path = f"live-station/record/{channel_id}/{file_name}"
            else:
                record["fileName"] = f"{height}p-16-9/playlist.m3u8"
                upload_path = f"live-station/record/{channel_id}/{height}p-16-9/{record_seq}"
            record["videoBitrate"] = bitrate
            record["audioBitrate"] = 128_000 if height >= 720 else 64_000
            record["videoFrameRate"] = 30.0 if height >= 720 else 15.0
            if index % 2 == 0:
                record["audioCodec"] = "aac"
            record["uploadPath"] = upload_path
            record["objectStorageUrl"] = (
                f"https://kr.object.ncloudstorage.com/{upload_path}"
                if status == "TRANSFER_FINISH"
                else "-"
            )
            records[str(record_id)] = record
            record_id += 1
        channels[channel_id] = records
    return channels


# --------------------------------------------------------------------------------------------
# Media AI imports
# --------------------------------------------------------------------------------------------


@attrs.define(kw_only=True)
class ImportState:
    """A video asset being imported (mutable, internal; see ``ImportAsset`` for a view)."""

    workspace: str
    project_id: str
    video_asset_id: str
    outcome: str
    polls_to_complete: int
    metadata: dict[str, Any] | None
    upload_result: str | None
    result: dict[str, Any] | None = None
    polls: int = 0
    terminal_reported: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        """``(workspace, project_id, video_asset_id)``."""
        return (self.workspace, self.project_id, self.video_asset_id)

    @property
    def terminal(self) -> bool:
        """Whether the outcome is a terminal ``uploadStatus`` (unknown values are not)."""
        return self.outcome in IMPORT_TERMINAL_STATES

    def view(self) -> ImportAsset:
        """A snapshot of this import."""
        return ImportAsset(
            workspace=self.workspace,
            project_id=self.project_id,
            video_asset_id=self.video_asset_id,
            outcome=self.outcome,
            polls_to_complete=self.polls_to_complete,
            polls=self.polls,
            terminal_reported=self.terminal_reported,
        )

    def body_for_poll(self, poll: int) -> tuple[dict[str, Any], bool]:
        """The ``result`` object for the ``poll``-th poll (from 1), and whether it is final."""
        if poll < self.polls_to_complete:
            return (
                {
                    "videoId": int(self.video_asset_id),
                    "uploadStatus": "IN_PROGRESS",
                    "uploadResult": _UPLOAD_RESULTS["IN_PROGRESS"],
                },
                False,
            )
        if self.result is not None:
            return self.result, self.terminal
        result: dict[str, Any] = {
            "videoId": int(self.video_asset_id),
            "uploadStatus": self.outcome,
        }
        upload_result = self.upload_result or _UPLOAD_RESULTS.get(self.outcome)
        if upload_result is not None:
            result["uploadResult"] = upload_result
        if self.metadata is not None:
            result["metaData"] = self.metadata
        return result, self.terminal


@attrs.frozen(kw_only=True)
class ImportAsset:
    """A snapshot of one emulated video asset import.

    ``polls_to_complete``: the poll (from 1) from which ``outcome`` is reported, earlier polls
    report ``IN_PROGRESS``. ``polls``: polls the service has handled so far.
    ``terminal_reported``: whether a terminal status reached a client intact.
    """

    workspace: str
    project_id: str
    video_asset_id: str
    outcome: str
    polls_to_complete: int
    polls: int
    terminal_reported: bool

    @property
    def ref(self) -> tuple[str, str, str]:
        """``(workspace, project_id, video_asset_id)``, the arguments of ``import_status``."""
        return (self.workspace, self.project_id, self.video_asset_id)


def default_metadata(video_asset_id: str, outcome: str) -> dict[str, Any] | None:
    """Plausible ``metaData`` for an outcome, derived from the asset id (``None``: omitted)."""
    if outcome not in ("COMPLETED", "INVALID_METADATA"):
        return None
    rng = random.Random(f"metadata:{video_asset_id}")
    if outcome == "INVALID_METADATA":
        resolution = rng.choice(("3840x2160", "320x240"))
    else:
        resolution = rng.choice(("1920x1080", "1280x720", "854x480", "640x360"))
    return {
        "resolution": resolution,
        "durationMs": rng.randrange(5_000, 3_600_000),
        "size": rng.randrange(1_000_000, 2_000_000_000),
        "format": rng.choice(("mp4", "mp4", "mkv", "mov", "webm")),
    }


_INVALID_METADATA_RESULTS: Final = (
    "Unsupported resolution (supported resolutions: 360p to 1080p)",
    "Unsupported video length (up to 6 hours)",
    "Unsupported file format (supported resolutions: 360p to 1080p, up to 6 hours)",
)


def generate_imports(scenario: Scenario) -> list[ImportState]:
    """``scenario.imports`` assets with seeded outcomes and poll counts."""
    rng = random.Random(f"{scenario.seed}:imports")
    assets: list[ImportState] = []
    for index in range(scenario.imports):
        asset_id = str(scenario.first_asset_id + index)
        if rng.random() < scenario.import_failure_rate:
            outcome = rng.choice(("FAILED", "FILE_NOT_EXIST", "INVALID_METADATA"))
        else:
            outcome = "COMPLETED"
        upload_result = (
            rng.choice(_INVALID_METADATA_RESULTS) if outcome == "INVALID_METADATA" else None
        )
        polls = rng.randint(1, scenario.max_import_polls)  # drawn anyway: same outcomes
        assets.append(
            ImportState(
                workspace=scenario.workspace,
                project_id=scenario.project_id,
                video_asset_id=asset_id,
                outcome=outcome,
                polls_to_complete=polls if scenario.import_polls is None else scenario.import_polls,
                metadata=default_metadata(asset_id, outcome),
                upload_result=upload_result,
            )
        )
    return assets
