"""Data-parallel training: one global minibatch sharded over ranks, gradients averaged.

:class:`DataParallel` is what :func:`boltz.deep.training.fit` uses when given a
communicator. Every rank draws the same global minibatch of ``batch_size`` rows (the
batch generator is rank 0's, replicated), keeps its contiguous block of rows, and
after the backward pass the gradients are combined into the gradient of the global
mean loss by one all-reduce of a flat buffer (weights ``n_rank / batch_size``). The
parameters start equal (rank 0's are broadcast) and receive the same update, so they
stay equal. The objective's own randomness (Langevin noise, projections, noise
levels) comes from a per-rank generator, and its replay buffer, if any, is the
rank's own: the persistent chains are sharded, ``world_size`` times the buffer in
all. Objectives whose loss is a mean over rows and that draw no random numbers
(exact score matching) therefore give the single-process loss curve up to float
rounding; stochastic ones give the same curve within their noise.

Examples
--------
>>> import torch
>>> from boltz.distributed import LocalCommunicator
>>> w = torch.nn.Parameter(torch.ones(2))
>>> dp = DataParallel(LocalCommunicator(), [w])
>>> dp.shard(lambda: torch.arange(4.0))()
tensor([0., 1., 2., 3.])
"""

from __future__ import annotations

import hashlib

import numpy as np

from .comm import get_communicator, shard_range

__all__ = ["DataParallel"]


class DataParallel:
    """Shards minibatches and averages gradients of ``params`` over the ranks of ``comm``.

    Parameters
    ----------
    comm : Communicator
        The ranks (a :class:`~boltz.distributed.TorchCommunicator`).
    params : list of torch.nn.Parameter
        The trained parameters; rank 0's values are broadcast to every rank.

    Examples
    --------
    >>> import torch
    >>> from boltz.distributed import LocalCommunicator
    >>> DataParallel(LocalCommunicator(), [torch.nn.Parameter(torch.zeros(1))]).comm.world_size
    1
    """

    def __init__(self, comm, params):
        self.comm = get_communicator(comm)
        self.params = list(params)
        self._fraction = 1.0
        if self.comm.world_size > 1:
            for p in self.params:
                self.comm.broadcast(p.data, src=0)

    def shard(self, draw):
        """Wrap a minibatch source so that it returns this rank's rows of each global batch.

        Parameters
        ----------
        draw : callable
            ``draw() -> tensor``, the global batch (the same on every rank).

        Returns
        -------
        callable
            ``draw() -> tensor``, rows ``lo .. hi - 1`` of it.

        Examples
        --------
        >>> import torch
        >>> from boltz.distributed import LocalCommunicator
        >>> DataParallel(LocalCommunicator(), []).shard(lambda: torch.zeros(3, 2))().shape
        torch.Size([3, 2])
        """
        def local():
            x = draw()
            lo, hi = shard_range(x.shape[0], self.comm)
            if hi == lo:
                raise ValueError(f"the global batch of {x.shape[0]} rows leaves rank "
                                 f"{self.comm.rank} of {self.comm.world_size} without data; "
                                 "use batch_size >= world_size")
            self._fraction = (hi - lo) / x.shape[0]
            return x[lo:hi]
        return local

    def generators(self, gen):
        """The replicated batch generator and this rank's generator for the objective.

        Rank 0's state of ``gen`` is broadcast (so ``seed=None`` works too); the
        rank's generator is seeded from it and the rank. With one process both are
        ``gen`` (the single-process run).

        Parameters
        ----------
        gen : torch.Generator
            The generator made from ``fit``'s seed.

        Returns
        -------
        tuple of torch.Generator
            ``(batch_generator, objective_generator)``.

        Examples
        --------
        >>> import torch
        >>> from boltz.distributed import LocalCommunicator
        >>> g = torch.Generator().manual_seed(0)
        >>> a, b = DataParallel(LocalCommunicator(), []).generators(g)
        >>> a is g and b is g
        True
        """
        import torch

        if self.comm.world_size == 1:
            return gen, gen
        state = self.comm.broadcast(gen.get_state(), src=0)
        gen.set_state(state)
        digest = hashlib.sha256(state.numpy().tobytes()).digest()
        seq = np.random.SeedSequence(int.from_bytes(digest[:16], "little"),
                                     spawn_key=(self.comm.rank,))
        rank_gen = torch.Generator(device=gen.device)
        rank_gen.manual_seed(int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1)))
        return gen, rank_gen

    def average(self, loss):
        """Replace each gradient by the global-batch gradient; return the global loss.

        Call after ``loss.backward()`` and before clipping and the optimizer step.
        Rank ``r``'s gradient is weighted by its share of the batch, then all ranks'
        are summed in one all-reduce of a flat buffer.

        Parameters
        ----------
        loss : torch.Tensor
            This rank's loss (mean over its rows).

        Returns
        -------
        torch.Tensor
            The loss of the global batch (detached), the same on every rank.

        Examples
        --------
        >>> import torch
        >>> from boltz.distributed import LocalCommunicator
        >>> float(DataParallel(LocalCommunicator(), []).average(torch.tensor(2.0)))
        2.0
        """
        import torch

        if self.comm.world_size == 1:
            return loss.detach()
        f = self._fraction
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
        flat = torch.cat([g.reshape(-1) for g in grads] + [loss.detach().reshape(1)]) * f
        flat = self.comm.all_reduce_sum(flat)
        offset = 0
        for p, g in zip(self.params, grads, strict=True):
            n = g.numel()
            p.grad = flat[offset:offset + n].view_as(g).to(g.dtype).clone()
            offset += n
        return flat[-1].to(loss.dtype)
