"""Start a few ``torch.distributed`` ranks on this machine from Python (tests, benchmarks).

Production runs are launched with ``torchrun`` (see the "Running across GPUs and
nodes" guide); :func:`spawn_ranks` is the in-process equivalent for tests and
notebooks: it starts ``world_size`` processes (``spawn`` start method), joins them
in a gloo (or NCCL) group through a file store in a temporary directory (no port to
pick), calls ``fn(comm, *args)`` on each and returns what each rank returned. The
calling script needs the usual ``if __name__ == "__main__":`` guard.

Examples
--------
>>> from boltz.distributed.launch import spawn_ranks
>>> spawn_ranks(_rank_and_size, 2)  # doctest: +SKIP
[(0, 2), (1, 2)]
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import tempfile
import time
import traceback

__all__ = ["spawn_ranks"]


def _worker(rank, world_size, store, backend, threads, fn, args, queue):
    try:
        import torch
        import torch.distributed as dist

        torch.set_num_threads(threads)
        if backend == "nccl":
            torch.cuda.set_device(rank % torch.cuda.device_count())
        dist.init_process_group(backend, init_method=f"file://{store}", rank=rank,
                                world_size=world_size)
        from .comm import TorchCommunicator

        try:
            out = fn(TorchCommunicator(), *args)
        finally:
            dist.destroy_process_group()
        queue.put((rank, True, out))
    except BaseException:  # reported to the parent, which raises
        queue.put((rank, False, traceback.format_exc()))


def _collect(procs, queue, timeout):
    """Results by rank, or the first error, from the ranks' queue."""
    results, deadline = {}, time.monotonic() + timeout
    while len(results) < len(procs):
        try:
            rank, ok, out = queue.get(timeout=0.5)
        except queue_module.Empty:
            dead = [r for r, p in enumerate(procs) if p.exitcode not in (None, 0)
                    and r not in results]
            if dead:
                raise RuntimeError(f"rank {dead[0]} exited with code "
                                   f"{procs[dead[0]].exitcode} before returning") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"the ranks did not finish within {timeout} s") from None
            continue
        if not ok:
            raise RuntimeError(f"rank {rank} failed:\n{out}")
        results[rank] = out
    return [results[r] for r in range(len(procs))]


def spawn_ranks(fn, world_size: int = 2, *args, backend: str = "gloo",
                threads_per_rank: int = 1, timeout: float = 300.0) -> list:
    """Run ``fn(comm, *args)`` on ``world_size`` new processes; return their results by rank.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled by reference into the new processes)
        taking a :class:`~boltz.distributed.TorchCommunicator` first.
    world_size : int, default 2
        Number of ranks.
    *args
        Further (picklable) arguments of ``fn``.
    backend : {"gloo", "nccl"}, default "gloo"
        ``torch.distributed`` backend; NCCL puts rank ``r`` on GPU ``r``.
    threads_per_rank : int, default 1
        ``torch.set_num_threads`` in each rank (ranks share the machine's cores).
    timeout : float, default 300
        Seconds to wait for every rank.

    Returns
    -------
    list
        ``fn``'s return value of each rank, in rank order.

    Examples
    --------
    >>> spawn_ranks(some_module.some_function, 2)  # doctest: +SKIP
    """
    from .._validation import check_choice, check_positive_int

    world_size = check_positive_int(world_size, "world_size")
    threads_per_rank = check_positive_int(threads_per_rank, "threads_per_rank")
    check_choice(backend, "backend", ("gloo", "nccl"))
    if not callable(fn):
        raise TypeError(f"fn must be a callable, got {type(fn).__name__}")
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    with tempfile.TemporaryDirectory(prefix="boltz-ranks-") as tmp:
        store = os.path.join(tmp, "store")
        procs = [ctx.Process(target=_worker, daemon=True,
                             args=(r, world_size, store, backend, threads_per_rank, fn, args,
                                   queue)) for r in range(world_size)]
        for p in procs:
            p.start()
        try:
            return _collect(procs, queue, timeout)
        finally:
            for p in procs:
                p.join(timeout=10)
                if p.is_alive():
                    p.terminate()
                    p.join()
