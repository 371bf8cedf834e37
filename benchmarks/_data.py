"""Realistic, deterministic bodies: encoding statuses shaped like the API page's example.

Every item is distinct (input file and output type differ), as on a real account, so the pager's
repeated-page and overlap checks see what they would see in production. One encoding job has one
to three outputs sharing its ``lastWorkTime``; jobs are 37 s apart, so a body of a few thousand
items has thousands of distinct times (more than the converter's ISO cache holds).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from ncp_media_async.testing import Scenario
from ncp_media_async.testing._data import encoding_fields

__all__ = [
    "ANCHOR_MS",
    "FIRST_ASSET_ID",
    "PROJECT_ID",
    "WORKSPACE",
    "encoding_items",
    "encoding_pages",
]

#: Where the benchmark emulator's Media AI imports live (ids FIRST_ASSET_ID, +1, ...): those
#: of the emulator's scenarios, which ``EmulatorProcess`` launches.
WORKSPACE: Final = Scenario.empty().workspace
PROJECT_ID: Final = Scenario.empty().project_id
FIRST_ASSET_ID: Final = Scenario.empty().first_asset_id

KST: Final = timezone(timedelta(hours=9))
#: The newest work start, epoch milliseconds (2025-08-19T17:00:00+09:00).
ANCHOR_MS: Final = 1_755_590_400_000
_CATEGORIES: Final = (
    (48211, "VOD-Category"),
    (51873, "news"),
    (60442, "sports"),
    (71209, "education"),
    (83365, "ads"),
)
_OUTPUTS: Final = (
    ("AVC_FHD_2Pass_30fps", 4.0),
    ("AVC_HD_1Pass_30fps", 2.0),
    ("AVC_SD_1Pass_30fps", 0.7),
    ("AVC_SD_1Pass_30fps_1", 1.0),
)


def encoding_items(count: int) -> Iterator[dict[str, Any]]:
    """``count`` camelCase encoding-status items, newest first.

    The identity fields (category, file, output type, link) are spelt as the emulator's own
    data spells them.
    """
    made = job = 0
    anchor = datetime.fromtimestamp(ANCHOR_MS / 1000, tz=KST)
    while made < count:
        start_ms = ANCHOR_MS - job * 37_000
        finished = anchor + timedelta(milliseconds=start_ms - ANCHOR_MS + 60_000 + job % 700_000)
        last_work_time = finished.strftime("%Y-%m-%dT%H:%M:%S%z")
        category = _CATEGORIES[job % len(_CATEGORIES)]
        roll = job % 20
        status = "COMPLETE" if roll < 17 else "FAILURE" if roll < 19 else "CANCELED"
        base_size = 200_000 + (job * 7_919_993) % 400_000_000
        stem = f"input/clip-{job:07d}"
        for output_type, factor in _OUTPUTS[job % 2 : job % 2 + 1 + job % 3]:
            if made == count:
                break
            item = {
                **encoding_fields(category, stem, output_type),
                "outputTotalSize": int(base_size * factor) if status == "COMPLETE" else 0,
                "lastWorkTime": last_work_time,
                "status": status,
                "percent": 100.0 if status == "COMPLETE" else float(job % 99) + 0.5,
            }
            made += 1
            yield item
        job += 1


def encoding_pages(count: int, page_size: int) -> list[dict[str, Any]]:
    """``count`` items as list-page bodies ``{"content": [...], "total": count}``."""
    items = list(encoding_items(count))
    return [
        {"content": items[i : i + page_size], "total": count} for i in range(0, count, page_size)
    ]
