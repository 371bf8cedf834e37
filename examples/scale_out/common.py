"""What the workers and the caller of the scale-out recipe share: settings, sharding, the
operations a shard can run, and where results land.

A large batch is split into *shards* (``shard_size`` items each); each shard is one arq job,
``(op, batch, params, items)``: ``op`` names an entry of ``OPERATIONS``, ``params`` are the
batch's common arguments and ``items`` its part of the work, all plain JSON values. A worker
runs the operation with its own ``MediaClient`` (every worker shares one quota through Redis)
and pushes each result onto the batch's Redis list as it lands; the caller pops them as they
come. An operation is an async generator ``(client, params, items) -> (item, result)``: one
function and one entry of ``OPERATIONS``. ``ingest`` writes, so it is declared ``journaled``:
each of its shards keeps a journal (``ingest(journal=...)``, a file per job in ``JOURNAL_DIR``),
so that when arq runs a job again (its worker died: killed, OOM-killed, a machine lost) the run
resumes where the last one stopped, reports the keys it had finished from the journal, and
reconciles the writes left in flight with the service: no key is imported or analysed twice.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ncp_media_async as ncp

#: Redis for the queue, the shared quota and the results (one server is enough).
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
#: The account's quota the workers share, requests a minute (leave a few percent unused).
RATE_PER_MINUTE = int(os.environ.get("NCP_RATE_PER_MINUTE", "970"))
#: The shared budget's name: one per account.
RATE_NAME = os.environ.get("NCP_RATE_NAME", "default")
#: Jobs one worker runs at once.
WORKER_JOBS = int(os.environ.get("NCP_WORKER_JOBS", "4"))
#: Seconds a worker asked to stop (SIGTERM, Ctrl-C) lets its running jobs finish, taking no new
#: ones, before it cancels what is left (arq queues a cancelled job again: it resumes).
WORKER_GRACE = int(os.environ.get("NCP_WORKER_GRACE", "60"))
#: Seconds one job may run. A job whose worker died is taken again once its in-progress mark
#: expires, this long and 10 s after it started: keep it near what a shard needs.
JOB_TIMEOUT = int(os.environ.get("NCP_JOB_TIMEOUT", "3600"))
#: Where the shards of a journaled operation keep their journals, one file per job: a directory
#: every worker sees (a shared volume), as the job may run again on another machine. Delete a
#: batch's journals once its caller has every result.
JOURNAL_DIR = os.environ.get("NCP_JOURNAL_DIR", "journals")

#: Results of batch B are pushed onto the list ``RESULTS_PREFIX + B`` (kept an hour at most).
RESULTS_PREFIX = "ncp_media_async:results:"
RESULTS_TTL = 3600
#: Live workers, by id (``host:pid``): added at start, removed at shutdown.
WORKERS_KEY = "ncp_media_async:workers"

Item = Any  # one unit of work, a plain JSON value
Result = dict[str, Any]  # what one item gave, a JSON object
Runner = Callable[
    [ncp.MediaClient, dict[str, Any], Sequence[Item]], AsyncIterator[tuple[Item, Result]]
]


@dataclass(frozen=True)
class Operation:
    """What a shard can do: ``run`` yields ``(item, result)`` as each item finishes;
    ``journaled`` says that it writes, and so gets ``params["journal"]``, its shard's journal
    (the same file each time the job runs)."""

    run: Runner
    journaled: bool = False


def client_from_env() -> ncp.MediaClient:
    """A worker's client: credentials and endpoint from the environment (``NCP_ACCESS_KEY``,
    ``NCP_SECRET_KEY``, ``NCP_MEDIA_ENDPOINT``), the account's quota shared through Redis."""
    limit = ncp.RateLimit.per_minute(RATE_PER_MINUTE, shared=REDIS_URL, name=RATE_NAME)
    return ncp.MediaClient(rate_limit=limit)


async def wait_for_imports(
    client: ncp.MediaClient, params: dict[str, Any], items: Sequence[Item]
) -> AsyncIterator[tuple[Item, Result]]:
    """Items are ``[workspace, project_id, asset_id]``; each result is the import's final
    state, or the error that ended its polling."""
    items_by_ref: dict[ncp.AssetRef | ncp.VideoAssetRef, Item] = {
        ncp.AssetRef(*item): item for item in items
    }
    async for landed in client.media_ai.wait_for_imports(
        items_by_ref,
        concurrency=int(params.get("concurrency", 16)),
        interval=float(params.get("interval", 2.0)),
        return_exceptions=True,
    ):
        if isinstance(landed, ncp.PollFailure):
            yield items_by_ref[landed.target], _error(landed.error)
        else:
            assert landed.asset is not None  # wait_for_imports names every status's asset
            result = {"status": str(landed.upload_status), "asset_id": landed.asset_id}
            yield items_by_ref[landed.asset], result


async def ingest(
    client: ncp.MediaClient, params: dict[str, Any], items: Sequence[Item]
) -> AsyncIterator[tuple[Item, Result]]:
    """Items are Object Storage keys; ``params`` name the ``workspace``, ``project_id``,
    ``bucket`` and ``journal`` (and optionally ``index``, ``concurrency``, ``interval`` and
    ``index_interval``, in seconds). Each result is the key's asset and final states
    (``from_journal``: finished by an earlier run of the job), or the error that stopped it."""
    async for landed in client.media_ai.ingest(
        params["workspace"],
        params["project_id"],
        bucket=params["bucket"],
        keys=items,
        index=bool(params.get("index", True)),
        concurrency=int(params.get("concurrency", 16)),
        interval=float(params.get("interval", 2.0)),
        index_interval=float(params.get("index_interval", 5.0)),
        journal=params["journal"],
    ):
        imported, indexed = landed.import_status, landed.index_status
        yield landed.key, {
            "ok": landed.ok,
            "asset": None if landed.ref is None else str(landed.ref),
            "stage": str(landed.stage),
            "import": None if imported is None else str(imported.upload_status),
            "index": None if indexed is None else str(indexed.status),
            "from_journal": landed.from_journal,
            **({} if landed.error is None else _error(landed.error)),
        }


def _error(error: BaseException) -> Result:
    return {"error": type(error).__name__, "message": str(error)}


OPERATIONS: dict[str, Operation] = {
    "wait_for_imports": Operation(wait_for_imports),
    "ingest": Operation(ingest, journaled=True),
}


def shards(items: Sequence[Item], size: int) -> list[list[Item]]:
    """``items`` in consecutive slices of at most ``size``."""
    if size < 1:
        raise ValueError(f"shard size must be >= 1, got {size}")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def item_key(item: Item) -> str:
    """A hashable, stable name for an item (results are matched to items by it)."""
    return "/".join(map(str, item)) if isinstance(item, list | tuple) else str(item)
