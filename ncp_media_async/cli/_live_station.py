"""The Live Station subcommands: ``live-channels``, ``service-urls``, ``wait-channel``,
``record start|stop`` and ``upload-records`` (``COMMANDS``, registered by ``_commands``).

Stream keys are secrets (with the publish URL they let anyone broadcast on a channel): no
table, JSON line or log line shows them unless ``--show-stream-keys`` asks for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click

from .. import _defaults
from ..client import MediaClient
from ..live_station import _CHANNEL_FILTERS, MAX_CHANNEL_PAGE_SIZE
from ..records import (
    AccessControl,
    Channel,
    ChannelStatus,
    ServiceUrl,
    ServiceUrlType,
    UploadedRecord,
)
from ._columns import RECORD_COLUMNS, Col, Kind, fmt_opt, styled_state
from ._output import counted
from ._params import (
    CONTEXT,
    SEGMENT,
    command,
    interval_option,
    max_items_option,
    prefetch_option,
    timeout_option,
)
from ._settings import Settings

__all__ = ["COMMANDS"]

#: The note a command prints when it shows stream keys.
KEYS_SHOWN = "stream keys shown: with the publish URL, anyone who has one can broadcast"


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _key(secret: Any) -> str:
    return "-" if secret is None else str(secret.reveal())


CHANNEL_COLUMNS: tuple[Col[Channel], ...] = (
    Col("channel", lambda c: c.channel_id, Kind.ID),
    Col("name", lambda c: c.channel_name, Kind.TEXT, priority=3),
    Col("status", lambda c: styled_state(c.channel_status), priority=5),
    Col("recording", lambda c: _yes_no(c.is_recording), priority=4),
    Col("protocol", lambda c: c.output_protocol, priority=1),
    Col("record", lambda c: None if c.record is None else c.record.type, priority=1),
    Col("cdn", lambda c: None if c.cdn is None else c.cdn.status_name, priority=0),
    Col("created", lambda c: c.created_time, Kind.TIME, priority=2),
)
#: Added with ``--show-stream-keys`` (and only then).
KEY_COLUMNS: tuple[Col[Channel], ...] = (
    Col("stream key", lambda c: _key(c.stream_key), Kind.ID),
    Col("backup key", lambda c: _key(c.backup_stream_key), priority=0),
    # Long, and in --json: dropped before anything else when the table is too wide.
    Col("publish url", lambda c: c.publish_url, priority=-1),
)
SERVICE_URL_COLUMNS: tuple[Col[ServiceUrl], ...] = (
    Col("name", lambda u: u.name, priority=3),
    Col("resolution", lambda u: u.resolution, priority=2),
    Col("video bps", lambda u: fmt_opt(u.video_bitrate), priority=1, justify="right"),
    Col("audio bps", lambda u: fmt_opt(u.audio_bitrate), priority=0, justify="right"),
    Col("url", lambda u: u.url, Kind.ID),
)
UPLOADED_COLUMNS: tuple[Col[UploadedRecord], ...] = (
    Col("record", lambda r: r.record_id, Kind.ID),
    Col("type", lambda r: r.record_type, priority=3),
    Col("status", lambda r: styled_state(r.status), priority=4),
    Col("file", lambda r: r.record_file_name, Kind.ID),
    Col("upload path", lambda r: r.upload_path, priority=1),
)


def _choice(members: Iterable[Any]) -> click.Choice[str]:
    """The values of these enumeration members, in any case."""
    return click.Choice([m.value for m in members], case_sensitive=False)


# ------------------------------------------------------------------------------- channels


@command("live-channels", summary="Live Station channels (stream keys hidden).")
@click.option("--status", type=_choice(_CHANNEL_FILTERS), help="Only channels in this state.")
@click.option("--name", metavar="TEXT", help="Only channels whose name contains TEXT.")
@click.option("--id", "channel_id", metavar="TEXT", help="Only channels whose id contains TEXT.")
@click.option(
    "--page-size",
    type=click.IntRange(1, MAX_CHANNEL_PAGE_SIZE),
    default=MAX_CHANNEL_PAGE_SIZE,
    show_default=True,
    help="Items per page (pageSizeNo, 1 to 100).",
)
@max_items_option
@prefetch_option
@click.option(
    "--show-stream-keys",
    is_flag=True,
    help="Also print each channel's publish URL and stream key (secrets: anyone who has "
    "them can broadcast).",
)
@click.pass_obj
def live_channels(
    settings: Settings,
    status: str | None,
    name: str | None,
    channel_id: str | None,
    page_size: int,
    max_items: int | None,
    prefetch: int,
    show_stream_keys: bool,
) -> None:
    """Live Station channels (GET /api/v2/channels); stream keys hidden."""
    output = settings.output()
    output.reveal_secrets = show_stream_keys
    columns = CHANNEL_COLUMNS + (KEY_COLUMNS if show_stream_keys else ())
    settings.call(
        lambda client: output.list(
            columns,
            client.live_station.channels(
                status=status,
                name=name,
                channel_id=channel_id,
                page_size=page_size,
                max_items=max_items,
                prefetch=prefetch,
            ),
            noun="channel",
        )
    )
    if show_stream_keys:
        output.note(KEYS_SHOWN, style="yellow")


@command("service-urls", summary="Playback URLs of a Live Station channel.")
@click.argument("channel_id", type=SEGMENT)
@click.option(
    "--type",
    "kind",
    type=_choice(ServiceUrlType),
    default=ServiceUrlType.GENERAL.value,
    show_default=True,
    help="GENERAL (live playback), TIMEMACHINE (rewindable) or THUMBNAIL.",
)
@click.pass_obj
def service_urls(settings: Settings, channel_id: str, kind: str) -> None:
    """Playback URLs of a Live Station channel (GET /api/v2/channels/{id}/serviceUrls)."""
    output = settings.output()
    urls = settings.call(lambda client: client.live_station.service_urls(channel_id, kind))
    output.table(SERVICE_URL_COLUMNS, urls)
    output.note(counted(len(urls), f"{kind.upper()} URL"))


@command("wait-channel", summary="Wait until a Live Station channel is in a state.")
@click.argument("channel_id", type=SEGMENT)
@click.option(
    "--state",
    "states",
    type=_choice(ChannelStatus),
    multiple=True,
    help="A state to wait for (repeatable; default READY and PUBLISHING).",
)
@interval_option(_defaults.POLL_INTERVAL, "Pause between two reads of the channel.")
@timeout_option("wait_timeout", "Give up after this long (default: no limit).")
@click.pass_obj
def wait_channel(
    settings: Settings,
    channel_id: str,
    states: tuple[str, ...],
    interval: float,
    wait_timeout: float | None,
) -> None:
    """Wait until a Live Station channel is in one of the states; print it then.

    Exits 1 if --timeout passes first, or if the channel is deleted.
    """
    output = settings.output()
    wanted = states or ("READY", "PUBLISHING")
    channel = settings.call(
        lambda client: client.live_station.wait_for_channel(
            channel_id, wanted, interval=interval, timeout=wait_timeout
        )
    )
    output.table(CHANNEL_COLUMNS, [channel])


# ------------------------------------------------------------------------------ recording


def _recorded(settings: Settings, channel_id: str, start: bool) -> None:
    output = settings.output()

    async def call(client: MediaClient) -> Any:
        live = client.live_station
        return await (live.start_recording if start else live.stop_recording)(channel_id)

    found = settings.call(call)
    output.table(RECORD_COLUMNS, found)
    what = "started" if start else "stopped"
    output.note(f"recording {what} on {channel_id}: {counted(len(found), 'record')}")


@command("start", summary="Start recording a publishing channel.")
@click.argument("channel_id", type=SEGMENT)
@click.pass_obj
def record_start(settings: Settings, channel_id: str) -> None:
    """Start recording a publishing channel (PUT /api/v2/channels/{id}/startRecord).

    Never sent twice: if the answer is lost, check with `live-channels --id` whether it
    records.
    """
    _recorded(settings, channel_id, start=True)


@command("stop", summary="Stop the running recording of a channel.")
@click.argument("channel_id", type=SEGMENT)
@click.pass_obj
def record_stop(settings: Settings, channel_id: str) -> None:
    """Stop the running recording (PUT /api/v2/channels/{id}/stopRecord).

    Never sent twice: if the answer is lost, check with `records` what happened.
    """
    _recorded(settings, channel_id, start=False)


record = click.Group(
    "record",
    commands=[record_start, record_stop],
    # Without a subcommand, one "error: Missing command." line (click's default, the help as
    # an error message, would be a dozen lines).
    no_args_is_help=False,
    context_settings=CONTEXT,
    help="Start or stop recording a Live Station channel.",
)


@command("upload-records", summary="Send Live Station recordings to a bucket.")
@click.argument("bucket", type=SEGMENT)
@click.argument("record_ids", nargs=-1, required=True)
@click.option(
    "--access-control",
    type=_choice(AccessControl),
    help="Object Storage access of the files (the service's default: PRIVATE).",
)
@click.pass_obj
def upload_records(
    settings: Settings, bucket: str, record_ids: tuple[str, ...], access_control: str | None
) -> None:
    """Send temporary recordings to an Object Storage bucket
    (POST /api/v2/buckets/{bucket}/upload).

    RECORD_IDS are record ids as `records` lists them; each must be TRANSFER_READY or
    TRANSFER_FAIL. Never sent twice: if the answer is lost, check with `records`.
    """
    bad = [text for text in record_ids if not (text.isascii() and text.isdigit())]
    if bad:
        raise click.BadParameter(
            f"record ids are whole numbers, got {', '.join(map(repr, bad))}",
            param_hint="'RECORD_IDS...'",
        )
    output = settings.output()
    upload = settings.call(
        lambda client: client.live_station.upload_records(
            bucket, record_ids, access_control=access_control
        )
    )
    output.table(UPLOADED_COLUMNS, upload.uploaded_records)
    output.note(
        f"{counted(len(upload.uploaded_records), 'record')} on their way to "
        f"{upload.bucket_name or bucket}"
        f" ({upload.access_control or 'PRIVATE'})"
    )


COMMANDS: tuple[click.Command, ...] = (
    live_channels,
    service_urls,
    wait_channel,
    record,
    upload_records,
)
