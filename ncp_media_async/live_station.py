"""Live Station: channels, their playback URLs, recording, uploads of recordings, callbacks.

Paths are below the zone's API root (``/api/v2`` in the public zone, ``/api/fin-v2`` with region
``FKR`` in the financial one: ``Endpoints.fin()``). Every request carries
``x-ncp-region_code``. The service's error codes decide the exception, whatever the HTTP status
(it sends most of them as 400): an unknown channel (250100, 250123) is a ``NotFoundError``; a
channel that is not publishing (250101, 250134), a recording already started (250135, 250136)
or not running (250137), a recording that cannot be uploaded yet (250507) or was already
(250700) are ``ConflictError``s.

``parse_callback`` (a module-level function, no client needed) reads what Live Station POSTs to
a callback URL (``LiveStation.set_callback_endpoint`` sets the default one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from . import _checks, _defaults
from ._callbacks import MAX_CALLBACK_BYTES, callback_json, refusal
from ._checks import segment
from ._converter import keyed, structure, structure_content, structure_records
from ._resource import Resource, channel_path, items_of
from .errors import PollingError
from .pagination import Pager
from .polling import AGAIN, Again, only
from .records import (
    AccessControl,
    CallbackEndpoint,
    Channel,
    ChannelStatus,
    LiveEvent,
    Recording,
    RecordUpload,
    ServiceUrl,
    ServiceUrlType,
)

__all__ = ["MAX_CALLBACK_BYTES", "MAX_CHANNEL_PAGE_SIZE", "LiveStation", "parse_callback"]

#: The largest ``pageSizeNo`` the channel list documents (1 to 100).
MAX_CHANNEL_PAGE_SIZE: Final = 100

#: The ``channelStatus`` filter values the channel list documents (every state but ``RESERVED``,
#: which only VOD-to-live channels take).
_CHANNEL_FILTERS: Final = tuple(s for s in ChannelStatus if s is not ChannelStatus.RESERVED)

#: The states ``wait_for_channel`` waits for unless told otherwise: the channel can be used.
_USABLE: Final = (ChannelStatus.READY, ChannelStatus.PUBLISHING)


class LiveStation(Resource):
    """Live Station APIs (``client.live_station``). Every request carries ``x-ncp-region_code``."""

    name = "live_station"
    title = "Live Station"
    content_type = "application/json"

    # ------------------------------------------------------------------------------ channels

    def channels(
        self,
        *,
        status: ChannelStatus | str | None = None,
        name: str | None = None,
        channel_id: str | None = None,
        page_size: int = _defaults.PAGE_SIZE,
        start_page: int = 1,
        max_items: int | None = None,
        prefetch: int = 1,
    ) -> Pager[Channel]:
        """``GET /api/v2/channels``: the account's channels, page by page. Returns a ``Pager``
        at once.

        ``status`` keeps the channels in that state (``channelStatus``; a ``ChannelStatus`` or
        its name, any case): one of the seven values the list documents as filters; ``RESERVED``
        (a state of VOD-to-live channels, not a filter of this list) or any other name is a
        ``ValueError`` naming them (pass ``ChannelStatus("NEW")`` to send a value the
        documents do not list); ``name`` and ``channel_id`` keep those whose name or id contains
        the text (``channelName``, ``id``: the service matches whole or partial values).
        ``page_size`` (``pageSizeNo``) is documented from 1 to 100; anything else is a
        ``ValueError`` before a request is sent. The order of the channels is the service's
        (undocumented). Each item carries every channel field, stream keys hidden (see
        ``Channel``).
        """
        if status is not None:
            status = _checks.member(ChannelStatus, status, "status", _CHANNEL_FILTERS).value
        given = {"channelStatus": status, "channelName": name, "id": channel_id}
        query = [(key, _checks.text(key, text)) for key, text in given.items() if text is not None]
        return self._list(
            ("channels",), Channel, query, page_size, start_page, max_items, prefetch,
            max_page_size=MAX_CHANNEL_PAGE_SIZE,
        )  # fmt: skip

    async def channel(self, channel_id: str) -> Channel:
        """``GET /api/v2/channels/{channelId}``: one channel, every documented field (see
        ``Channel``; its stream keys are hidden from reprs and logs). An unknown channel raises
        ``NotFoundError`` (code 250100 or 250123, sent as HTTP 400)."""
        return await self._get(channel_path(channel_id), _structure_channel)

    async def service_urls(
        self, channel_id: str, kind: ServiceUrlType | str = ServiceUrlType.GENERAL
    ) -> list[ServiceUrl]:
        """``GET /api/v2/channels/{channelId}/serviceUrls?serviceUrlType=KIND``: playback URLs.

        ``kind`` is ``GENERAL`` (HLS and MPEG-DASH live playback, the default), ``TIMEMACHINE``
        (rewindable HLS) or ``THUMBNAIL``, as a ``ServiceUrlType`` or its name in any case;
        another name is a ``ValueError`` (pass ``ServiceUrlType("NEW")`` to send a kind the
        documents do not list). The service refuses with a ``ConflictError`` when the URLs
        cannot exist yet: its CDN is not running (250124), the channel is not usable (250125),
        or a time machine URL is asked of a channel without DVR (250115, 250121, 250133) or
        that is not recording (250141).
        """
        query = (("serviceUrlType", _checks.member(ServiceUrlType, kind, "kind").value),)
        return await self._get(channel_path(channel_id, "serviceUrls"), items_of(ServiceUrl), query)

    async def wait_for_channel(
        self,
        channel_id: str,
        states: Iterable[ChannelStatus | str] = _USABLE,
        *,
        interval: float = _defaults.POLL_INTERVAL,
        timeout: float | None = None,
        max_failures: int = _defaults.POLL_MAX_FAILURES,
    ) -> Channel:
        """Read a channel every ``interval`` seconds until its status is one of ``states``;
        return it then.

        ``states`` are ``ChannelStatus`` values or their names (default ``READY`` and
        ``PUBLISHING``: the channel can be used). ``timeout`` in seconds bounds the whole wait
        (``PollTimeoutError``). Runs on the one wait engine, as ``MediaAI.wait_for_imports``:
        transient failures (after the client's own retries) are polled again, up to
        ``max_failures`` in a row; an unknown channel raises its ``NotFoundError``, an
        authentication error its ``AuthenticationError``; a channel that reaches a state it
        never leaves (``DELETED``, ``FORCE_DELETED``) without being one of ``states`` raises
        ``PollingError``. Cancelling the waiting task stops the polling; no task is left
        behind. Bad arguments raise ``ValueError`` (``TypeError`` for one state given alone,
        ``states="READY"``, rather than in a list) before anything is sent.
        """
        channel_id = segment("channel_id", channel_id)
        states = _checks.instances("states", states, str)  # "READY" alone: a TypeError
        wanted = tuple(dict.fromkeys(_checks.member(ChannelStatus, s, "states") for s in states))
        if not wanted:
            raise ValueError("states must name at least one ChannelStatus")

        async def step(channel_id: str) -> Channel | Again:
            channel = await self.channel(channel_id)
            status = channel.channel_status
            if status is None or not (status in wanted or status.final):
                return AGAIN
            if status not in wanted:
                raise PollingError(
                    f"channel {channel_id} is {status}, a state it never leaves; it will not "
                    f"become {' or '.join(wanted)}"
                )
            return channel

        wait = self._wait(
            "wait_for_channel", "channel", interval=interval, timeout=timeout,
            max_failures=max_failures, return_exceptions=True,
        )  # fmt: skip
        return await only(wait.run((channel_id,), step))

    # ----------------------------------------------------------------------------- callbacks

    async def callback_endpoint(self) -> CallbackEndpoint:
        """``GET /api/v2/events/callbackEndpoint``: the default callback URL (for every channel
        without a ``callback_endpoint`` of its own); ``callback_url`` is ``None`` if none is
        set. Read what arrives there with ``parse_callback``."""
        return await self._get(("events", "callbackEndpoint"), _structure_endpoint)

    async def set_callback_endpoint(self, url: str) -> CallbackEndpoint:
        """``POST /api/v2/events/callbackEndpoint``: make ``url`` (``http`` or ``https``) the
        default callback URL; returns the setting the service answered with.

        A channel's own endpoint, when it has one, still wins for its events; the documents
        give no way to remove the default. Repeated when the answer is lost: setting the same
        URL twice leaves the same setting.
        """
        body = {"callbackUrl": _checks.http_url("url", url)}
        path = ("events", "callbackEndpoint")
        return await self._write("POST", path, _structure_endpoint, json=body, idempotent=True)

    # ----------------------------------------------------------------------------- recording

    async def start_recording(self, channel_id: str) -> list[Recording]:
        """``PUT /api/v2/channels/{channelId}/startRecord``: start recording a publishing
        channel; returns the records the service reports (one per format, ``RECORDING``).

        Only while the channel is ``PUBLISHING`` (else ``ConflictError``, 250134 or 250101);
        a recording already running is a ``ConflictError`` too (250135/250136). Not repeated
        once it may have reached the service: a second start would be refused as "already
        recording", turning a success whose answer was lost into an error, so a lost answer is
        an ``OutcomeUnknownError`` (read ``channel(id).is_recording`` to learn what happened).
        """
        return await self._write("PUT", channel_path(channel_id, "startRecord"), structure_records)

    async def stop_recording(self, channel_id: str) -> list[Recording]:
        """``PUT /api/v2/channels/{channelId}/stopRecord``: stop the running recording; returns
        the records the service reports (those of the recording, now being processed).

        Without a running recording: ``ConflictError`` (250137). Not repeated once it may have
        reached the service: a second stop would be refused as "not recording", or stop a
        recording started in between, so a lost answer is an ``OutcomeUnknownError`` (read
        ``channel(id).is_recording`` or ``records(id)``).
        """
        return await self._write("PUT", channel_path(channel_id, "stopRecord"), structure_records)

    async def records(self, channel_id: str) -> list[Recording]:
        """``GET /api/v2/channels/{channelId}/records``: the VOD recordings of a channel.

        The API answers with a map keyed by record id; each ``Recording`` carries its key as
        ``record_id``, in record-id order. The body's ``total`` need not match the map and is not
        used. An unknown channel arrives as HTTP 400 with code 250100 and raises
        ``NotFoundError``.
        """
        return await self._get(channel_path(channel_id, "records"), structure_records)

    async def upload_records(
        self,
        bucket: str,
        records: Iterable[Recording | str | int],
        *,
        access_control: AccessControl | str | None = None,
    ) -> RecordUpload:
        """``POST /api/v2/buckets/{bucketName}/upload``: send recordings kept in temporary
        storage (3 days) to an Object Storage bucket.

        ``records`` are ``Recording`` objects or record ids (``Recording.record_id``, as text
        or numbers; sent as the integers the document asks for, duplicates once). Only
        recordings in ``TRANSFER_READY`` or ``TRANSFER_FAIL`` can go (else ``ConflictError``,
        250507; see ``Recording.uploadable``). ``access_control`` is ``PRIVATE`` (the
        service's default when left out) or ``PUBLIC_READ``. An unknown record id or bucket is a
        ``NotFoundError`` (250701/250702, 250705), a bucket name the service refuses a
        ``BadRequestError`` (250703/250704).

        Not repeated once it may have reached the service: it refuses a record id already
        requested (250700, a ``ConflictError``), so a repeat would turn a success whose answer
        was lost into an error; a lost answer is an ``OutcomeUnknownError`` (read the records'
        ``status``, ``TRANSFER`` or later means the upload was taken).
        """
        body: dict[str, Any] = {"recordIds": _record_ids(records)}
        if access_control is not None:
            access = _checks.member(AccessControl, access_control, "access_control")
            body["accessControl"] = access.value
        path = ("buckets", segment("bucket", bucket), "upload")
        return await self._write("POST", path, _structure_upload, json=body)


# -------------------------------------------------------------------------------- arguments


def _record_ids(records: Iterable[Recording | str | int]) -> list[int]:
    """Record ids as the integers the upload body takes, duplicates once, order kept."""
    ids = [
        _checks.whole("records", record.record_id if isinstance(record, Recording) else record)
        for record in _checks.instances("records", records, (Recording, str, int))
    ]
    if not ids:
        raise ValueError("records must name at least one recording")
    return list(dict.fromkeys(ids))


# -------------------------------------------------------------------------------- envelopes


def _structure_channel(body: Any) -> Channel:
    """``{"content": {...channel...}}``. An OpenAPI description puts ``isPublishingBackUp``
    beside ``content`` rather than in it: read there too."""
    if isinstance(body, dict) and "isPublishingBackUp" in body:
        content = body.get("content")
        if isinstance(content, dict) and "isPublishingBackUp" not in content:
            body = {"content": {**content, "isPublishingBackUp": body["isPublishingBackUp"]}}
    return structure_content(body, Channel)


def _structure_endpoint(body: Any) -> CallbackEndpoint:
    """``{"content": {"callbackUrl": ..., "updateTime": ...}}``. The documents do not show the
    answer when no default endpoint is set: ``"content": null`` reads as none set, like a
    ``callbackUrl`` that is ``null`` or absent."""
    if isinstance(body, dict) and "content" in body and body["content"] is None:
        return CallbackEndpoint()
    return structure_content(body, CallbackEndpoint)


#: Fields of one uploaded record: an ``uploadedRecords`` object carrying any of them is one
#: record, not a map of records keyed by id.
_UPLOADED_FIELDS: Final = frozenset(
    {"recordFileName", "recordType", "status", "uploadPath", "objectStorageUrl"}
)


def _structure_upload(body: Any) -> RecordUpload:
    """``{"content": {"bucketName", "accessControl", "uploadedRecords"}}``.

    The document calls ``uploadedRecords`` an object without saying whether it is a map keyed
    by record id (like ``recordList``) or one record; a list is plausible too. All three are
    read: a map's keys become ``record_id``.
    """
    content = body.get("content") if isinstance(body, dict) else None
    if isinstance(content, dict):
        uploaded = content.get("uploadedRecords")
        if isinstance(uploaded, dict):  # one record, or a map of records keyed by record id
            one = uploaded.keys() & _UPLOADED_FIELDS
            uploaded = [uploaded] if one else list(keyed(uploaded).values())
        content = {**content, "uploadedRecords": [] if uploaded is None else uploaded}
        body = {**body, "content": content}
    return structure_content(body, RecordUpload)


# -------------------------------------------------------------------------------- callbacks


def parse_callback(body: bytes | str | Mapping[str, Any]) -> LiveEvent:
    """A Live Station callback → ``LiveEvent``; no client needed.

    ``body`` is the raw request body (``bytes`` or ``str``, JSON, at most
    ``MAX_CALLBACK_BYTES``: an event is about 150 bytes) or the decoded JSON object.
    The pushed payload (``{"id", "logLevel", "channelId", "event", "timestamp"}``) and an item of
    the event lists (``eventCode``, ``description``) both parse; numbers sent as text (the old
    page types every field as a string) are read, ``timestamp`` is epoch *milliseconds*, event
    codes are read case-insensitively and unknown codes kept. Fields left out are ``None``.

    Raises ``ResponseError`` (with a short excerpt) for a body that is too long, not JSON, not
    an object, or carries neither ``event`` nor ``eventCode`` (not a Live Station event: a VOD
    Station callback, say), or whose fields have the wrong types.

    The service documents nothing of the delivery beyond the payload (no signature, no retry
    policy, no expected status): answer 2xx at once and drop duplicates (equal events compare
    equal).
    """
    data = callback_json(body, "Live Station", "an event")
    if not isinstance(data, dict) or not ({"event", "eventCode"} & data.keys()):
        raise refusal(
            "not a Live Station event: expected an object with 'event' or 'eventCode'", data
        )
    return structure(data, LiveEvent, "$")
