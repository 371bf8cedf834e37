"""What the emulator counts (``EmulatorStats``), shared by the gateway and the stores."""

from __future__ import annotations

from collections import Counter
from typing import Any

import attrs

from ._faults import Fault

__all__ = ["AssetKey", "EmulatorStats"]

AssetKey = tuple[str, str, str]
"""``(workspace, project_id, video_asset_id)`` of a Media AI asset."""


@attrs.define
class EmulatorStats:
    """What the emulator has seen since it was created or ``Emulator.reset_stats`` ran.

    ``requests`` counts requests per route name (see ``Route``;
    ``"unmatched"`` for unknown paths), faulted and rejected ones included. ``in_flight`` is the
    number of requests being handled right now (latency included) and ``peak_in_flight`` its
    maximum. Authentication rejections (any 401) are counted in ``rejected_signatures`` and, per
    reason (``missing_header``, ``invalid_timestamp``, ``unknown_access_key``,
    ``timestamp_skew``, ``bad_signature``), in ``auth_failures``. ``statuses`` counts responses
    per HTTP status (connection resets send none). ``import_polls`` counts import-status polls
    the Media AI store handled per ``(workspace, project_id, video_asset_id)``;
    ``polls_after_terminal`` counts, per asset, polls that arrived after a terminal status had
    reached the client intact. ``faults`` counts injected faults per kind.
    """

    requests: Counter[str] = attrs.field(factory=Counter)
    total_requests: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    rejected_signatures: int = 0
    auth_failures: Counter[str] = attrs.field(factory=Counter)
    statuses: Counter[int] = attrs.field(factory=Counter)
    import_polls: Counter[AssetKey] = attrs.field(factory=Counter)
    polls_after_terminal: Counter[AssetKey] = attrs.field(factory=Counter)
    faults: Counter[Fault] = attrs.field(factory=Counter)

    @property
    def total_polls_after_terminal(self) -> int:
        """Polls of already-finished assets, over all assets (a correct poller keeps it 0)."""
        return sum(self.polls_after_terminal.values())

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (asset keys joined with ``/``)."""
        return {
            "requests": dict(self.requests),
            "total_requests": self.total_requests,
            "in_flight": self.in_flight,
            "peak_in_flight": self.peak_in_flight,
            "rejected_signatures": self.rejected_signatures,
            "auth_failures": dict(self.auth_failures),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "import_polls": {"/".join(k): v for k, v in self.import_polls.items()},
            "polls_after_terminal": {"/".join(k): v for k, v in self.polls_after_terminal.items()},
            "faults": {str(k): v for k, v in self.faults.items()},
        }
