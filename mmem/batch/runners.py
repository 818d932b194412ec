"""Where the workers run: in this process, in a local process pool, or on a Ray cluster. Each
runner yields exactly one FileResult per item, in the order they finish."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Any

from mmem.batch.plan import Item
from mmem.batch.worker import FileResult, Worker
from mmem.config import BatchConfig, IngestConfig
from mmem.errors import InputError


def run_inline(items: list[Item], worker: Worker,
               progress: Callable[[Item, float], None] | None = None) -> Iterator[FileResult]:
    """In this process; `progress(item, fraction)` reports within each file."""
    for item in items:
        def tick(done: float, total: float, item: Item = item) -> None:
            if progress is not None and total > 0:
                progress(item, min(1.0, done / total))

        yield worker.process(item, tick)


# -- a local process pool --------------------------------------------------------------------
_WORKER: Worker | None = None


def _init(db: str, cfg: IngestConfig, force: bool, threads: int, counter: Any, gpus: int) -> None:
    import dataclasses
    import signal

    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if gpus > 1:  # several GPUs: workers take them in turn (one model copy per worker)
        with counter.get_lock():
            k = counter.value
            counter.value += 1
        cfg = dataclasses.replace(cfg, vision=dataclasses.replace(cfg.vision, device=f"cuda:{k % gpus}"))
    _WORKER = Worker(db, cfg, force, threads)


def gpus_for(cfg: IngestConfig) -> int:
    """GPUs the workers may spread over: all of them when the device is auto or plain cuda."""
    if cfg.vision.device not in ("auto", "cuda"):
        return 0
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _process(item: Item) -> FileResult:
    assert _WORKER is not None
    return _WORKER.process(item)


def run_pool(items: list[Item], db: str, cfg: IngestConfig, force: bool,
             workers: int) -> Iterator[FileResult]:
    """`workers` processes, each with its own models and torch threads (cores / workers), spread
    over the GPUs when there are several (each batches its frames on its GPU).

    At most `workers` files are in flight, so when a process dies (a crash in native code breaks
    the whole pool) the files it may have died on are known: each is retried alone in its own
    process, and reported failed if that one dies too; the rest go on in a fresh pool."""
    import multiprocessing as mp
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    threads = max(1, (os.cpu_count() or 1) // workers)
    ctx = mp.get_context("spawn")
    counter, gpus = ctx.Value("i", 0), gpus_for(cfg)

    def pool_of(n: int) -> Any:
        return ProcessPoolExecutor(n, mp_context=ctx, initializer=_init,
                                   initargs=(db, cfg, force, threads, counter, gpus))

    queue, suspects = deque(items), deque()
    while queue or suspects:
        if suspects:  # one file, one process: a crash now is this file's
            it = suspects.popleft()
            pool = pool_of(1)
            try:
                yield pool.submit(_process, it).result()
            except BrokenProcessPool:
                yield FileResult(it.index, it.uri, "failed", size=it.size,
                                 error="the worker process crashed on this file (in native code): ingest it "
                                       "alone (mmem ingest) to see why, or re-encode it")
            except BaseException:
                _kill(pool)
                raise
            pool.shutdown(wait=True)
            continue
        pool = pool_of(workers)
        inflight: dict[Any, Item] = {}
        try:
            while queue or inflight:
                while queue and len(inflight) < workers:
                    it = queue.popleft()
                    inflight[pool.submit(_process, it)] = it
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    it = inflight.pop(fut)
                    try:
                        res = fut.result()
                    except BrokenProcessPool:
                        suspects.append(it)
                        broken = True
                        continue
                    yield res
                if broken:
                    suspects.extend(inflight.values())
                    inflight.clear()
                    break
        except BaseException:
            _kill(pool)
            raise
        pool.shutdown(wait=True, cancel_futures=True)


def _kill(pool: Any) -> None:
    for proc in list(getattr(pool, "_processes", {}).values()):
        proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


# -- Ray ---------------------------------------------------------------------------------------
def connect_ray(address: str) -> str:
    """Join (or start) a Ray cluster; returns what was joined. `auto`: a running cluster if there
    is one (RAY_ADDRESS, `ray start`), else a local one; `local`: a new local one."""
    try:
        import ray
    except ImportError:
        raise InputError("--ray needs Ray: pip install 'mmem[ray]'") from None
    env = {k: v for k, v in os.environ.items() if k.startswith(("MMEM_", "AWS_", "HF_", "TORCH_"))}
    import logging

    kwargs: dict[str, Any] = {"runtime_env": {"env_vars": env}, "log_to_driver": False,
                              "ignore_reinit_error": True, "logging_level": logging.WARNING}
    if address == "auto" and os.environ.get("RAY_ADDRESS"):
        address = os.environ["RAY_ADDRESS"]  # the cluster this shell was pointed at: join it or fail
    elif address in ("local", "auto"):
        if address == "auto":
            try:
                ray.init(address="auto", **kwargs)
                return "ray: " + _cluster(ray)
            except (ConnectionError, RuntimeError, ValueError):
                pass  # no cluster running: start one here
        try:
            # "local": a new instance even beside a running `ray start` cluster (a bare init joins that)
            ray.init(address="local", include_dashboard=False, **kwargs)
        except Exception as exc:  # noqa: BLE001 - Ray raises many types when it cannot start
            raise InputError(f"cannot start a local Ray instance ({str(exc).splitlines()[0][:200]}): "
                             "run without --ray, or see `ray start --head`") from None
        return "ray (local): " + _cluster(ray)
    host, port = _host_port(address)
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise InputError(f"the Ray cluster at {address} does not answer ({exc.strerror or exc}): "
                         "check the address and that the head node runs `ray start --head`") from None
    try:
        ray.init(address=address, **kwargs)
    except Exception as exc:  # noqa: BLE001 - Ray raises many types on a failed connect
        why = str(exc).splitlines()[0][:200]
        hint = "check the address and that its Ray version matches this one"
        if "timeout" in why and address.startswith("ray://"):
            # the port answers but the handshake does not: Ray Client cannot pass token auth
            hint = ("if the cluster uses Ray's token authentication, Ray Client cannot join it: run "
                    "mmem batch on a cluster node with --ray auto, or start the cluster with "
                    "RAY_AUTH_MODE=disabled")
        raise InputError(f"cannot join the Ray cluster at {address} ({why}): {hint}") from None
    return "ray: " + _cluster(ray)


def _host_port(address: str) -> tuple[str, int]:
    rest = address.split("://", 1)[-1].rstrip("/")
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit():
        default = 10001 if address.startswith("ray://") else 6379
        return rest, default
    return host, int(port)


def _cluster(ray: Any) -> str:
    res = ray.cluster_resources()
    gpus = int(res.get("GPU", 0))
    return f"{int(res.get('CPU', 0))} CPUs" + (f", {gpus} GPUs" if gpus else "") + \
        f" on {len(ray.nodes())} node(s)"


def fit_resources(bcfg: BatchConfig) -> tuple[BatchConfig, list[str]]:
    """Per-worker requests the cluster can grant (a request no node can meet would wait forever):
    no GPU share on a cluster without GPUs, no more CPUs than the cluster has."""
    import dataclasses

    import ray

    res = ray.cluster_resources()
    notes = []
    if bcfg.gpus_per_worker > 0 and res.get("GPU", 0) == 0:
        notes.append("the cluster has no GPU: workers run on CPU")
        bcfg = dataclasses.replace(bcfg, gpus_per_worker=0.0)
    cpus = float(res.get("CPU", 1))
    if bcfg.cpus_per_worker > cpus:
        notes.append(f"cpus_per_worker {bcfg.cpus_per_worker:g} is more than the cluster's {cpus:g} CPUs: "
                     f"using {cpus:g}")
        bcfg = dataclasses.replace(bcfg, cpus_per_worker=cpus)
    return bcfg, notes


def planned_workers(bcfg: BatchConfig, n_items: int) -> int:
    """Ray actors for a batch: `workers` if set, else as many as the cluster's CPUs (and GPUs)
    hold at `cpus_per_worker` (and `gpus_per_worker`) each; never more than files."""
    import ray

    workers = bcfg.workers
    if workers is None:
        res = ray.cluster_resources()
        by_cpu = int(res.get("CPU", 1) // max(bcfg.cpus_per_worker, 1e-9))
        by_gpu = int(res.get("GPU", 0) // bcfg.gpus_per_worker) if bcfg.gpus_per_worker > 0 else by_cpu
        workers = min(by_cpu, by_gpu)
    return max(1, min(workers, n_items))


def run_ray(items: list[Item], db: str, cfg: IngestConfig, force: bool, bcfg: BatchConfig,
            workers: int) -> Iterator[FileResult]:
    """The same Worker as a Ray actor: one per `cpus_per_worker` CPUs (and `gpus_per_worker` of a
    GPU) unless `workers` says how many; each loads its models once. Ray places the actors,
    restarts one that dies and retries its file (`retries`); ActorPool hands out the files."""
    import ray
    from ray.util import ActorPool

    actor = ray.remote(Worker).options(num_cpus=bcfg.cpus_per_worker, num_gpus=bcfg.gpus_per_worker,
                                       max_restarts=bcfg.retries, max_task_retries=bcfg.retries)
    threads = max(1, int(bcfg.cpus_per_worker))
    actors = [actor.remote(db, cfg, force, threads) for _ in range(workers)]
    pool = ActorPool(actors)
    for it in items:
        pool.submit(lambda a, v: a.process.remote(v), it)
    got: set[int] = set()
    errors: list[str] = []
    try:
        while pool.has_next():
            try:
                result = pool.get_next_unordered()
            except ray.exceptions.RayError as exc:
                errors.append(str(exc).strip().splitlines()[0][:300])
                continue
            got.add(result.index)
            yield result
    finally:
        for a in actors:
            ray.kill(a)
    why = errors[0] if errors else "no result came back"
    for it in items:
        if it.index not in got:
            yield FileResult(it.index, it.uri, "failed", size=it.size, error=f"Ray worker lost: {why}")
