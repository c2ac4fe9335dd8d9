"""Communicators: the one place where statistics of several processes are combined.

A communicator has a ``rank`` and a ``world_size`` and three collective operations,
``all_reduce_sum``, ``all_gather`` and ``broadcast``, on NumPy arrays or torch
tensors. :class:`LocalCommunicator` (one process, every operation the identity) is
what the single-process code paths use when no communicator is given;
:class:`TorchCommunicator` wraps a ``torch.distributed`` process group (gloo on CPUs,
NCCL on GPUs) started by ``torchrun`` or :func:`init_torch_distributed`. The
distributed paths are the same code with another communicator.

Examples
--------
>>> import numpy as np
>>> comm = LocalCommunicator()
>>> comm.rank, comm.world_size
(0, 1)
>>> [a.tolist() for a in comm.all_gather(np.array([1.0, 2.0]))]
[[1.0, 2.0]]
"""

from __future__ import annotations

import os
from abc import abstractmethod
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Communicator", "LocalCommunicator", "TorchCommunicator", "get_communicator",
           "init_torch_distributed", "shard_range"]


@runtime_checkable
class Communicator(Protocol):
    """What the distributed code paths need from a group of processes.

    A protocol: any object with these attributes and methods is a communicator
    (it is never instantiated itself).

    Parameters
    ----------
    *args, **kwargs
        None; implementations take their own.

    Attributes
    ----------
    rank : int
        This process's index, ``0 <= rank < world_size``.
    world_size : int
        Number of processes.

    Examples
    --------
    >>> isinstance(LocalCommunicator(), Communicator)
    True
    """

    rank: int
    world_size: int

    @abstractmethod
    def all_reduce_sum(self, x):
        """Elementwise sum of ``x`` over all ranks (every rank gets the sum).

        Parameters
        ----------
        x : numpy.ndarray, float or torch.Tensor
            This rank's values, the same shape on every rank.

        Returns
        -------
        numpy.ndarray, float or torch.Tensor
            The sum.
        """

    @abstractmethod
    def all_gather(self, x) -> list:
        """The arrays ``x`` of every rank, in rank order (first axes may differ).

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            This rank's values.

        Returns
        -------
        list
            One array per rank.
        """

    @abstractmethod
    def broadcast(self, x, src: int = 0):
        """Rank ``src``'s ``x`` on every rank (same shape and dtype on all ranks).

        Parameters
        ----------
        x : numpy.ndarray, float or torch.Tensor
            Only rank ``src``'s values matter.
        src : int, default 0
            The sending rank.

        Returns
        -------
        numpy.ndarray, float or torch.Tensor
            Rank ``src``'s values.
        """


class LocalCommunicator:
    """One process: rank 0 of 1, every collective the identity.

    Examples
    --------
    >>> import numpy as np
    >>> LocalCommunicator().all_reduce_sum(np.array([1.5])).tolist()
    [1.5]
    """

    rank = 0
    world_size = 1

    def all_reduce_sum(self, x):
        """Return ``x`` (the sum over one rank).

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            Values of this rank.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``x`` itself.

        Examples
        --------
        >>> LocalCommunicator().all_reduce_sum(3.0)
        3.0
        """
        return x

    def all_gather(self, x) -> list:
        """Return ``[x]``.

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            Values of this rank.

        Returns
        -------
        list
            ``[x]``.

        Examples
        --------
        >>> LocalCommunicator().all_gather(1)
        [1]
        """
        return [x]

    def broadcast(self, x, src: int = 0):
        """Return ``x``.

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            Values of rank ``src``.
        src : int, default 0
            Must be 0.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``x``.

        Examples
        --------
        >>> LocalCommunicator().broadcast(2.0)
        2.0
        """
        if src != 0:
            raise ValueError(f"src must be 0 for a single process, got {src}")
        return x


class TorchCommunicator:
    """A ``torch.distributed`` process group as a :class:`Communicator`.

    NumPy arrays are copied to tensors on ``device`` (the GPU of this rank under
    NCCL, the CPU under gloo), reduced there and returned as NumPy arrays of the
    same dtype; torch tensors are reduced in place when they already lie on
    ``device`` and returned as tensors.

    Parameters
    ----------
    group : torch.distributed.ProcessGroup, optional
        The group (default: the world group). ``torch.distributed`` must be
        initialised (``torchrun`` plus :func:`init_torch_distributed`).
    device : str or torch.device, optional
        Where collectives run: default ``cuda:<current device>`` under NCCL, else CPU.

    Examples
    --------
    >>> TorchCommunicator()  # doctest: +SKIP
    """

    def __init__(self, group=None, device=None):
        import torch
        import torch.distributed as dist

        if not dist.is_available() or not dist.is_initialized():
            raise RuntimeError("torch.distributed is not initialised: launch with torchrun and "
                               "call boltz.distributed.init_torch_distributed() first")
        self._dist, self._torch, self.group = dist, torch, group
        self.rank = dist.get_rank(group)
        self.world_size = dist.get_world_size(group)
        if device is None:
            nccl = dist.get_backend(group) == "nccl"
            device = f"cuda:{torch.cuda.current_device()}" if nccl else "cpu"
        self.device = torch.device(device)

    def __repr__(self):
        return (f"TorchCommunicator(rank={self.rank}, world_size={self.world_size}, "
                f"device={self.device})")

    def _to_tensor(self, x):
        torch = self._torch
        if isinstance(x, torch.Tensor):
            return x if x.device == self.device else x.to(self.device), True
        arr = np.ascontiguousarray(x)
        return torch.from_numpy(arr.copy()).to(self.device), False

    def _back(self, t, was_tensor, like):
        if was_tensor:
            return t if like.device == t.device else t.to(like.device)
        out = t.cpu().numpy()
        return out if np.ndim(like) else out.item() if out.size == 1 else out

    def all_reduce_sum(self, x):
        """Elementwise sum over all ranks.

        Parameters
        ----------
        x : numpy.ndarray, float or torch.Tensor
            This rank's values (same shape on every rank).

        Returns
        -------
        numpy.ndarray, float or torch.Tensor
            The sum, of the type given (a tensor on ``device`` is summed in place).

        Examples
        --------
        >>> comm.all_reduce_sum(np.ones(3))  # doctest: +SKIP
        array([2., 2., 2.])
        """
        t, was_tensor = self._to_tensor(x)
        self._dist.all_reduce(t, op=self._dist.ReduceOp.SUM, group=self.group)
        return self._back(t, was_tensor, x)

    def all_gather(self, x) -> list:
        """Every rank's ``x``, in rank order; the first axis may differ between ranks.

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            This rank's values (trailing shape and dtype equal on every rank).

        Returns
        -------
        list
            ``world_size`` arrays (or tensors) in rank order.

        Examples
        --------
        >>> comm.all_gather(np.arange(comm.rank + 1))  # doctest: +SKIP
        [array([0]), array([0, 1])]
        """
        torch = self._torch
        t, was_tensor = self._to_tensor(x)
        t = t.reshape(1) if t.ndim == 0 else t
        sizes = [torch.zeros(1, dtype=torch.int64, device=self.device)
                 for _ in range(self.world_size)]
        self._dist.all_gather(sizes, torch.tensor([t.shape[0]], device=self.device),
                              group=self.group)
        sizes = [int(s.item()) for s in sizes]
        padded = torch.zeros((max(sizes),) + tuple(t.shape[1:]), dtype=t.dtype,
                             device=self.device)
        padded[:t.shape[0]] = t
        parts = [torch.empty_like(padded) for _ in range(self.world_size)]
        self._dist.all_gather(parts, padded, group=self.group)
        parts = [p[:n] for p, n in zip(parts, sizes, strict=True)]
        if was_tensor:
            return [p.to(x.device) for p in parts]
        return [p.cpu().numpy() for p in parts]

    def broadcast(self, x, src: int = 0):
        """Rank ``src``'s ``x`` on every rank.

        Parameters
        ----------
        x : numpy.ndarray, float or torch.Tensor
            Same shape and dtype on every rank; only rank ``src``'s values matter.
        src : int, default 0
            The sending rank.

        Returns
        -------
        numpy.ndarray, float or torch.Tensor
            ``src``'s values (a tensor on ``device`` is overwritten in place).

        Examples
        --------
        >>> comm.broadcast(np.array([comm.rank]))  # doctest: +SKIP
        array([0])
        """
        if not 0 <= int(src) < self.world_size:
            raise ValueError(f"src must be a rank in [0, {self.world_size}), got {src}")
        t, was_tensor = self._to_tensor(x)
        self._dist.broadcast(t, src=int(src), group=self.group)
        if was_tensor and isinstance(x, self._torch.Tensor) and t is not x:
            x.data.copy_(t.to(x.device))
            return x
        return self._back(t, was_tensor, x)


def get_communicator(comm=None):
    """``comm`` checked, or a :class:`LocalCommunicator` when it is ``None``.

    Parameters
    ----------
    comm : Communicator or None
        Any object with ``rank``, ``world_size``, ``all_reduce_sum``, ``all_gather``
        and ``broadcast``.

    Returns
    -------
    Communicator
        ``comm`` or a new :class:`LocalCommunicator`.

    Examples
    --------
    >>> get_communicator(None).world_size
    1
    """
    if comm is None:
        return LocalCommunicator()
    if not isinstance(comm, Communicator):
        raise TypeError("comm must be a boltz.distributed communicator (rank, world_size, "
                        f"all_reduce_sum, all_gather, broadcast) or None, got "
                        f"{type(comm).__name__}")
    ws, rank = comm.world_size, comm.rank
    if not (isinstance(ws, int) and isinstance(rank, int) and ws >= 1 and 0 <= rank < ws):
        raise ValueError(f"comm has rank {rank!r} and world_size {ws!r}; expected integers "
                         "with 0 <= rank < world_size")
    return comm


def init_torch_distributed(backend: str = "auto", group=None) -> TorchCommunicator:
    """Initialise ``torch.distributed`` from torchrun's environment; return the communicator.

    Under ``torchrun`` (or SLURM with ``MASTER_ADDR``, ``MASTER_PORT``, ``RANK`` and
    ``WORLD_SIZE`` set) this calls ``torch.distributed.init_process_group`` with
    ``init_method="env://"`` unless the group is already initialised, and under NCCL
    selects GPU ``LOCAL_RANK``.

    Parameters
    ----------
    backend : {"auto", "nccl", "gloo"}, default "auto"
        ``"auto"``: NCCL when CUDA is available, else gloo.
    group : torch.distributed.ProcessGroup, optional
        A sub-group to wrap instead of the world.

    Returns
    -------
    TorchCommunicator
        The world (or ``group``) communicator of this process.

    Examples
    --------
    >>> comm = init_torch_distributed()  # doctest: +SKIP
    """
    import torch
    import torch.distributed as dist

    if backend not in ("auto", "nccl", "gloo"):
        raise ValueError(f"backend must be 'auto', 'nccl' or 'gloo', got {backend!r}")
    if backend == "auto":
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if not dist.is_initialized():
        missing = [k for k in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
                   if k not in os.environ]
        if missing:
            raise RuntimeError(f"not launched by torchrun: {', '.join(missing)} unset "
                               "(run: torchrun --nproc_per_node=N script.py)")
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend=backend, init_method="env://")
    return TorchCommunicator(group)


def shard_range(n: int, comm=None) -> tuple[int, int]:
    """This rank's contiguous block ``[lo, hi)`` of ``n`` items split as evenly as possible.

    Parameters
    ----------
    n : int
        Number of items.
    comm : Communicator, optional
        Default: one process (the whole range).

    Returns
    -------
    tuple of int
        ``(lo, hi)``; the first ``n % world_size`` ranks hold one item more.

    Examples
    --------
    >>> shard_range(10)
    (0, 10)
    """
    comm = get_communicator(comm)
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    q, r = divmod(n, comm.world_size)
    lo = comm.rank * q + min(comm.rank, r)
    return lo, lo + q + (comm.rank < r)
