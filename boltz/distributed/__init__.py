"""Running boltz across processes, GPUs and nodes.

- :mod:`boltz.distributed.comm`: the :class:`Communicator` protocol (``rank``,
  ``world_size``, ``all_reduce_sum``, ``all_gather``, ``broadcast``), the default
  one-process :class:`LocalCommunicator` and :class:`TorchCommunicator` over a
  ``torch.distributed`` group (gloo on CPUs, NCCL on GPUs).
- :mod:`boltz.distributed.launch`: :func:`spawn_ranks`, a few local ranks from Python.
- :mod:`boltz.distributed.jobs`: :func:`map_jobs` and :func:`connect`, independent
  jobs on a Dask cluster.
- :mod:`boltz.distributed.halo`: one lattice split in strips over ranks, halo exchange.
- :mod:`boltz.distributed.data_parallel`: the data-parallel pieces of
  :func:`boltz.deep.training.fit` (global batch sharded, gradients averaged).
- :mod:`boltz.distributed.rows`: rows of a global minibatch and blocks of persistent
  chains per rank, drawn with one process's random numbers, and the means summed over
  ranks: the data-parallel pieces of the RBM and DBM trainers (``fit(comm=)``,
  ``train_dbm(comm=)``).

The samplers and estimators take ``comm=`` (AIS, parallel tempering, ``fit``, RBM
and DBM training) or
``client=`` (scans of independent jobs); with neither they run in one process, the
same code. Neither torch nor Dask is imported until a communicator or a cluster is
asked for.

Examples
--------
>>> from boltz.distributed import LocalCommunicator, shard_range
>>> shard_range(5, LocalCommunicator())
(0, 5)
"""

from .comm import (
    Communicator,
    LocalCommunicator,
    TorchCommunicator,
    get_communicator,
    init_torch_distributed,
    shard_range,
)
from .jobs import connect, map_jobs
from .launch import spawn_ranks

__all__ = ["Communicator", "LocalCommunicator", "TorchCommunicator", "get_communicator",
           "init_torch_distributed", "shard_range", "map_jobs", "connect", "spawn_ranks"]
