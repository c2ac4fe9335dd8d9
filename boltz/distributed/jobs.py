"""Independent jobs fanned out over a Dask cluster (``dask.distributed``), or run in order.

:func:`map_jobs` runs ``func(job)`` for every job, locally in order when ``client``
is ``None``, else as Dask tasks; results come back in job order. Each job carries
its own seed (the callers seed job ``k`` by ``seed + k`` or a spawned
``SeedSequence``), so the results do not depend on the number of workers or on
which worker ran which job. :func:`connect` turns a ``--dask`` address into a
client. Dask is an optional dependency (the ``distributed`` extra); this module
imports it only when a cluster is asked for.

Examples
--------
>>> map_jobs(abs, [-1, 2, -3])
[1, 2, 3]
"""

from __future__ import annotations

__all__ = ["map_jobs", "connect", "import_dask_distributed"]


def import_dask_distributed():
    """``dask.distributed``, or an ImportError saying how to install it.

    Returns
    -------
    module
        The ``distributed`` package.

    Examples
    --------
    >>> import_dask_distributed().Client  # doctest: +SKIP
    <class 'distributed.client.Client'>
    """
    try:
        import distributed
    except ImportError as exc:
        raise ImportError("Dask is not installed: pip install 'boltz[distributed]' "
                          "(or pip install 'dask[distributed]')") from exc
    return distributed


def connect(address: str):
    """A ``dask.distributed.Client`` for a scheduler address or a local cluster.

    Parameters
    ----------
    address : str
        ``"tcp://host:8786"`` (a running scheduler, e.g. from ``dask-jobqueue`` or
        ``dask scheduler``), a scheduler file path ending in ``.json``, or
        ``"local"`` / ``"local:N"``: a new ``LocalCluster`` of N single-threaded
        worker processes (default: one per core).

    Returns
    -------
    distributed.Client
        Close it (or use it as a context manager) when done; a local cluster is
        closed with it.

    Examples
    --------
    >>> with connect("local:2") as client:  # doctest: +SKIP
    ...     map_jobs(abs, [-1, 2], client=client)
    [1, 2]
    """
    if not isinstance(address, str) or not address:
        raise TypeError(f"address must be a non-empty string, got {address!r}")
    distributed = import_dask_distributed()
    if address == "local" or address.startswith("local:"):
        n = address.partition(":")[2]
        if n and (not n.isdigit() or int(n) < 1):
            raise ValueError(f"address 'local:N' needs a positive integer N, got {address!r}")
        # the client owns the LocalCluster it starts and closes it with itself
        # one thread per worker: numba and BLAS threads would compete with the other workers
        one = {k: "1" for k in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
        return distributed.Client(n_workers=int(n) if n else None, threads_per_worker=1,
                                  processes=True, dashboard_address=None, env=one)
    if address.endswith(".json"):
        return distributed.Client(scheduler_file=address)
    return distributed.Client(address)


def map_jobs(func, jobs, client=None) -> list:
    """``[func(job) for job in jobs]``, on a Dask cluster when ``client`` is given.

    Parameters
    ----------
    func : callable
        A picklable function of one job (module-level, or a ``functools.partial`` of one).
    jobs : iterable
        The jobs; each must carry everything ``func`` needs, its seed included.
    client : distributed.Client, optional
        Where to run; ``None`` runs in order in this process.

    Returns
    -------
    list
        ``func(job)`` for each job, in job order.

    Examples
    --------
    >>> map_jobs(len, ["ab", "c"])
    [2, 1]
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    jobs = list(jobs)
    if client is None:
        return [func(job) for job in jobs]
    if not (hasattr(client, "map") and hasattr(client, "gather")):
        raise TypeError("client must be a dask.distributed Client (with map and gather) or "
                        f"None, got {type(client).__name__}")
    futures = client.map(func, jobs, pure=False)
    return client.gather(futures)
