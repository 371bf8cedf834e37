"""Route names: one per service, method and path, unique across the three services."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = ["UNMATCHED", "Route"]

UNMATCHED: Final = "unmatched"
"""Route name counted in ``stats.requests`` for paths no route matches."""


class Route(StrEnum):
    """Route names, as used in ``stats.requests``, ``route_latency`` and ``FaultPlan.routes``.

    Each store declares its routes with these names (``routes()`` of the store classes). A name
    is unique across services even where two services share a path on different hosts (VOD
    Station and Live Station both have ``/api/v2/channels``): name such routes after their
    service, e.g. ``vod_channels`` and ``live_channels``.
    """

    # VOD Station (testing/_vod_station.py)
    ENCODING_STATUSES = "encoding_statuses"
    """VOD Station ``GET /api/v2/status``."""
    STATUS_STATISTICS = "status_statistics"
    """VOD Station ``GET /api/v2/status/status-statistic``."""
    CHANNEL_EVENTS = "channel_events"
    """VOD Station ``GET /api/v2/channels/{channelId}/events``."""
    ENCODING_JOB = "encoding_job"
    """VOD Station ``GET /api/v2/status/{fileId}``."""
    CATEGORIES = "categories"
    """VOD Station ``GET /api/v2/category``."""
    CATEGORY = "category"
    """VOD Station ``GET /api/v2/category/{categoryId}``."""
    ADD_FILES = "add_files"
    """VOD Station ``PUT /api/v2/category/{categoryId}/add-files``."""
    ENCODING_OPTIONS = "encoding_options"
    """VOD Station ``GET /api/v2/encoding-option``."""
    ENCODING_OPTION_TEMPLATES = "encoding_option_templates"
    """VOD Station ``GET /api/v2/encoding-option/template``."""
    VOD_CHANNELS = "vod_channels"
    """VOD Station ``GET /api/v2/channels``."""
    VOD_CHANNEL = "vod_channel"
    """VOD Station ``GET /api/v2/channels/{channelId}``."""
    VOD_CHANNEL_START = "vod_channel_start"
    """VOD Station ``PUT /api/v2/channels/{channelId}/start``."""
    VOD_CHANNEL_STOP = "vod_channel_stop"
    """VOD Station ``PUT /api/v2/channels/{channelId}/stop``."""

    # Live Station (testing/_live_station.py); each under /api/v2 and /api/fin-v2
    RECORDS = "records"
    """Live Station ``GET /api/v2/channels/{channelId}/records``."""
    LIVE_CHANNELS = "live_channels"
    """Live Station ``GET /api/v2/channels``."""
    LIVE_CHANNEL = "live_channel"
    """Live Station ``GET /api/v2/channels/{channelId}``."""
    SERVICE_URLS = "service_urls"
    """Live Station ``GET /api/v2/channels/{channelId}/serviceUrls``."""
    START_RECORD = "start_record"
    """Live Station ``PUT /api/v2/channels/{channelId}/startRecord``."""
    STOP_RECORD = "stop_record"
    """Live Station ``PUT /api/v2/channels/{channelId}/stopRecord``."""
    UPLOAD_RECORDS = "upload_records"
    """Live Station ``POST /api/v2/buckets/{bucketName}/upload``."""
    CALLBACK_ENDPOINT = "callback_endpoint"
    """Live Station ``GET /api/v2/events/callbackEndpoint``."""
    SET_CALLBACK_ENDPOINT = "set_callback_endpoint"
    """Live Station ``POST /api/v2/events/callbackEndpoint``."""

    # Media Intelligence, formerly Media AI (testing/_media_ai.py); ``…`` is
    # ``/api/v1/workspaces/{w}/projects/{p}``
    WORKSPACES = "workspaces"
    """Media Intelligence ``GET /api/v1/workspaces``."""
    WORKSPACE = "workspace"
    """Media Intelligence ``GET /api/v1/workspaces/{w}``."""
    PROJECTS = "projects"
    """Media Intelligence ``GET /api/v1/workspaces/{w}/projects``."""
    PROJECT = "project"
    """Media Intelligence ``GET …`` (one project)."""
    ASSETS = "assets"
    """Media Intelligence ``GET …/assets``."""
    ASSET = "asset"
    """Media Intelligence ``GET …/assets/{a}``."""
    IMPORT_ASSET = "import_asset"
    """Media Intelligence ``POST …/assets/import/object-storage``."""
    IMPORT_STATUS = "import_status"
    """Media Intelligence ``GET …/assets/{a}/import-status``."""
    VIDEO_IMPORT_STATUS = "video_import_status"
    """Media Intelligence ``GET …/video-assets/{a}/import-status`` (deprecated; removed by NCP in
    January 2027)."""
    START_INDEX = "start_index"
    """Media Intelligence ``POST …/assets/{a}/index``."""
    INDEX_STATUS = "index_status"
    """Media Intelligence ``GET …/assets/{a}/index/status``."""
    INDEX = "index"
    """Media Intelligence ``GET …/assets/{a}/index``."""
    CANCEL_INDEX = "cancel_index"
    """Media Intelligence ``POST …/assets/{a}/index/cancel``."""
    DELETE_INDEX = "delete_index"
    """Media Intelligence ``DELETE …/assets/{a}/index``."""
