"""Extraction's per-page work on a Dask cluster (prefect-dask): each chunk's two passes are Prefect tasks
sent to one Dask worker, which keeps the parsed pages between them; the flow's process claims, learns
and writes, and de-duplication stays one serialised step in it, under the store's lock.

`task_runner` (setting, flow parameter, `newsdedup run --dask [ADDRESS]`): "local" (this machine's
worker processes), "dask" (a LocalCluster of one single-threaded worker per core, for this run) or the
address of a running scheduler ("tcp://10.0.0.5:8786"), whose workers reach the same store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import dask
from prefect import task
from prefect.cache_policies import NONE
from prefect.context import FlowRunContext
from prefect_dask import DaskTaskRunner

from flows.common import open_store
from newsdedup.config import ExtractionSettings
from newsdedup.documents import Article, Quarantined
from newsdedup.page_work import Digests, Items, PageDigest, Pending, classify_held, forget_chunks, read_chunk
from newsdedup.parallel import worker_count

# A chunk's two passes are two Prefect task runs, each created through the API from its Dask worker:
# chunks of ~100 pages make a quarter of the task runs of local chunks (on one machine, runs with 2 MB
# and 8 MB chunks were within each other's noise).
CHUNK_BYTES = 8 << 20

LOCAL = "local"


def dask_runner(task_runner: str, workers: int = 0) -> DaskTaskRunner:
    """The DaskTaskRunner a `task_runner` value names; a LocalCluster has `workers` (0: one per core)."""
    if task_runner == "dask":
        return DaskTaskRunner(cluster_kwargs={"n_workers": worker_count(workers), "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    if "://" not in task_runner:
        raise ValueError(f"task_runner must be 'local', 'dask' or a scheduler address like tcp://host:8786, "
                         f"not {task_runner!r}")
    return DaskTaskRunner(address=task_runner)


@task(name="read-pages", cache_policy=NONE, retries=1, retry_delay_seconds=1)
def read_pages(token: int, hashes: list[str], store_url: str) -> list[PageDigest | Quarantined]:
    return read_chunk(token, open_store(store_url).load_raw(hashes))


@task(name="classify-pages", cache_policy=NONE, retries=1, retry_delay_seconds=1)
def classify_pages(token: int, hashes: list[str], store_url: str, settings: ExtractionSettings,
                   learned: dict[str, frozenset[int]]) -> list[Article | Quarantined]:
    return classify_held(token, settings, learned, lambda: open_store(store_url).load_raw(hashes))


class DaskWorkers:
    """The workers of the Dask cluster this flow run's task runner is connected to, one slot each. A
    chunk's passes are pinned to its worker (any other may take them if it is gone: the second pass
    then reads the pages again), and each worker loads its chunks' raw bytes from the store itself."""

    def __init__(self, store_url: str) -> None:
        context = FlowRunContext.get()
        runner = context.task_runner if context else None
        if not isinstance(runner, DaskTaskRunner):
            raise RuntimeError("DaskWorkers needs a flow run on a DaskTaskRunner")
        self.client = runner.client
        self.client.wait_for_workers(1, timeout=120)
        self.addresses = sorted(self.client.scheduler_info(n_workers=-1)["workers"])
        if not self.addresses:
            raise RuntimeError("the Dask cluster has no workers")
        self.slots = len(self.addresses)
        self.chunk_bytes = CHUNK_BYTES
        self.store_url = store_url

    def read(self, slot: int, token: int, chunk: Sequence[str]) -> Pending[Digests]:
        with dask.annotate(workers=[self.addresses[slot]], allow_other_workers=True):
            return cast(Pending[Digests], read_pages.submit(token, list(chunk), self.store_url))

    def classify(self, slot: int, token: int, chunk: Sequence[str], settings: ExtractionSettings,
                 learned: dict[str, frozenset[int]]) -> Pending[Items]:
        with dask.annotate(workers=[self.addresses[slot]], allow_other_workers=True):
            return cast(Pending[Items], classify_pages.submit(token, list(chunk), self.store_url, settings, learned))

    def forget(self, tokens: Sequence[int]) -> None:
        self.client.run(forget_chunks, list(tokens))

