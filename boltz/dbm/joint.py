"""One epoch of DBM joint training, written once over an array backend.

Salakhutdinov & Hinton (2009, Algorithm 1): for each minibatch the data
statistics come from mean-field inference (from the doubled bottom-up pass,
or from each example's means at its last visit), the model statistics from
persistent chains advanced by alternating odd/even block Gibbs (the odd layers
Rao-Blackwellised), and the parameters move by momentum SGD with L2 weight
decay on the weights. With centring the gradient is taken in the centred
parametrisation (Montavon & Mueller 2012),
``E = -sum (x_l - c_l) b'_l - sum (x_l - c_l)^T W_l (x_{l+1} - c_{l+1})``,
with offsets ``c_l`` tracking the data means; the model is stored uncentred.

:class:`JointState` holds the backend's copies of the parameters (the model's
own arrays on the NumPy backend), the velocities, offsets, persistent chains
and warm starts; :meth:`JointState.run_epoch` is the epoch. The driver
(validation, schedules, monitoring) is :func:`boltz.dbm.training.train_dbm`.

Examples
--------
>>> import numpy as np
>>> from boltz.dbm import DeepBoltzmannMachine
>>> from boltz.dbm.backend import NumpyBackend
>>> from boltz.dbm.joint import JointState
>>> X = (np.random.default_rng(0).random((40, 6)) < 0.5).astype(np.float32)
>>> dbm = DeepBoltzmannMachine((4, 3), n_epochs=0, pretrain_epochs=0, seed=0).fit(X)
>>> state = JointState(NumpyBackend(0), dbm, X, dbm.init_states(10, 0),
...                    [np.zeros(k, np.float32) for k in (6, 4, 3)])
>>> state.run_epoch(4, 10, lambda step: 0.01, 0, momentum=0.5, weight_decay=0.0,
...                 mean_field_iters=3, gibbs_steps=1)[0]
4
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ..distributed.comm import get_communicator
from ..distributed.rows import RowDraws, RowShard, global_max, row_means
from . import formulas as F

__all__ = ["JointState", "WarmStarts", "TrainingDivergedError", "check_diverged",
           "MAX_ABS_WEIGHT"]

#: Largest absolute weight tolerated before training is declared diverged.
MAX_ABS_WEIGHT = 1e3


class TrainingDivergedError(RuntimeError):
    """Training produced non-finite or exploding parameters.

    Examples
    --------
    >>> issubclass(TrainingDivergedError, RuntimeError)
    True
    """


def check_diverged(ops, W, b, where: str, lr: float):
    """Raise :class:`TrainingDivergedError` if a parameter is non-finite or a weight
    exceeds :data:`MAX_ABS_WEIGHT`.

    Examples
    --------
    >>> from boltz.dbm.backend import NumpyBackend
    >>> check_diverged(NumpyBackend(0), [np.ones((2, 2))], [np.zeros(2)], "epoch 1", 0.1)
    """
    for name, arrs in (("weights", W), ("biases", b)):
        for l, a in enumerate(arrs):
            largest = ops.max_abs(a)
            if not np.isfinite(largest):
                raise TrainingDivergedError(
                    f"training diverged at {where}: {name}[{l}] became non-finite; "
                    f"use a smaller learning rate (now {lr:g})")
            if name == "weights" and largest > MAX_ABS_WEIGHT:
                raise TrainingDivergedError(
                    f"training diverged at {where}: |{name}[{l}]| exceeded {MAX_ABS_WEIGHT:g}; "
                    f"use a smaller learning rate (now {lr:g}) or more weight decay")


class WarmStarts:
    """Each training example's mean-field means from its last visit.

    ``means`` holds one ``(n_samples, n_l)`` array per hidden layer and ``seen``
    a boolean per example, on any backend. :meth:`start` gives a minibatch's
    starting means and :meth:`store` records where its mean field ended.

    Examples
    --------
    >>> warm = WarmStarts([np.zeros((3, 2))], np.zeros(3, dtype=bool))
    >>> warm.start(np.array([0]), lambda: [np.ones((1, 2))])[0].tolist()
    [[1.0, 1.0]]
    """

    def __init__(self, means, seen):
        self.means, self.seen = means, seen

    def start(self, idx, cold):
        """Stored means of examples ``idx``; ``cold()`` (the bottom-up pass) for unseen ones."""
        seen = self.seen[idx]
        if bool(seen.all()):
            return [m[idx] for m in self.means]
        init = cold()
        if bool(seen.any()):
            for a, m in zip(init, self.means, strict=True):
                a[seen] = m[idx[seen]]
        return init

    def store(self, idx, mus):
        """Record the means ``mus`` (hidden layers) of examples ``idx``."""
        for m, x in zip(self.means, mus, strict=True):
            m[idx] = x
        self.seen[idx] = True


class JointState:
    """What joint training carries from minibatch to minibatch, on backend ``ops``.

    Parameters
    ----------
    ops : backend
        :class:`~boltz.dbm.backend.NumpyBackend` (the model's arrays are
        updated in place) or a torch backend (copies, written back by
        :meth:`download`).
    model : DeepBoltzmannMachine
    X : (n, n_visible) array
        Training data (binary, or probabilities with ``binarize="dynamic"``).
    chains : list of arrays
        Initial persistent chains, one ``(n_chains, n_l)`` array per layer.
    offsets : list of arrays
        Initial centring offsets (zeros without centring).
    binarize : {None, "dynamic"}
    warm_start : bool
        Keep each example's means for the next visit (``mean_field_init="persistent"``).
    warm_starts : type
        The class of the warm-start store.
    comm : Communicator, optional
        Data-parallel training (:mod:`boltz.distributed`): ``chains`` are then this
        rank's block of the persistent chains, each rank takes its rows of every global
        minibatch, draws them with the random numbers of one process
        (:class:`~boltz.distributed.rows.RowShard`), and the gradient statistics are
        summed over ranks before the one update.
    n_chains : int, optional
        The global number of chains (with ``comm``; default ``chains[0].shape[0]``).
    """

    def __init__(self, ops, model, X, chains, offsets, binarize=None, warm_start=False,
                 warm_starts=WarmStarts, comm=None, n_chains=None):
        self.ops, self.model, self.binarize = ops, model, binarize
        self.comm = get_communicator(comm)
        self.chain_rows = RowShard(chains[0].shape[0] if n_chains is None else n_chains,
                                   self.comm)
        self.chain_ops = ops if self.chain_rows.trivial else RowDraws(ops, self.chain_rows)
        self.in_place = ops.name == "numpy"
        if self.in_place:
            self.W, self.b = model.weights_, model.biases_
        else:
            self.W = [ops.copy(w) for w in model.weights_]
            self.b = [ops.copy(x) for x in model.biases_]
        self.X = ops.asarray(X)
        self.chains = [ops.copy(c) if not self.in_place else c for c in chains]
        self.offsets = [ops.asarray(o) for o in offsets]
        self.vel_W = [ops.zeros_like(w) for w in self.W]
        self.vel_b = [ops.zeros_like(x) for x in self.b]
        self.grad_W = [ops.empty_like(w) for w in self.W]
        self.warm = None
        self.batch_rows = None  # the RowShard of the last minibatch (data_statistics)
        if warm_start:
            n = self.X.shape[0]
            self.warm = warm_starts([ops.empty((n, w.shape[1]), like=w) for w in self.W],
                                    ops.flags(n))

    def data_statistics(self, idx, mean_field_iters, tol):
        """``[v, mu_1, ..., mu_L]`` of the examples ``idx`` (a fresh draw with dynamic
        binarization), the mean field from the bottom-up pass or the last visit."""
        ops, W, b = self.ops, self.W, self.b
        v = self.X[idx]
        if self.binarize is not None:
            v = ops.bernoulli(v)
        rows = self.batch_rows = RowShard(v.shape[0], self.comm)
        v, idx = rows.take(v), rows.take(idx)  # this rank's rows of the global minibatch
        if self.warm is None:
            init = F.bottom_up(ops, W, b, v)
        else:
            init = self.warm.start(idx, partial(F.bottom_up, ops, W, b, v))
        mus, _, _ = F.mean_field_sweeps(ops, W, b, v, init, mean_field_iters, tol,
                                        combine_change=self._combine_change)
        if self.warm is not None:
            self.warm.store(idx, mus)
        return [v, *mus]

    def _combine_change(self, change):
        """The largest mean-field change over ranks (``None`` in one process)."""
        return global_max(change, self.comm)

    def update(self, data, neg, lr, *, momentum, weight_decay, centering=False,
               offset_rate=0.01):
        """One parameter update from data statistics ``data`` and chain statistics ``neg``.

        The weight gradient ``<d_lo d_hi>_data - <m_lo m_hi>_model`` (centred by the
        offsets) is one product; velocities ``v <- momentum v + lr (grad - decay W)``
        (no decay on biases); centred biases are updated and mapped back; the
        offsets move toward the minibatch means by ``offset_rate``.
        """
        ops, W, b, off = self.ops, self.W, self.b, self.offsets
        n_layers = len(b)
        # with several ranks: this rank's rows, counted and averaged over the global rows
        pos_rows = (self.batch_rows if self.comm.world_size > 1
                    else RowShard(data[0].shape[0]))
        n_pos, n_neg = pos_rows.n, self.chain_rows.n
        if centering:
            bc = F.centred_biases(W, b, off)
        for l in range(n_layers - 1):
            d_lo, d_hi = data[l] - off[l], data[l + 1] - off[l + 1]
            m_lo, m_hi = neg[l] - off[l], neg[l + 1] - off[l + 1]
            ops.matmul_into(ops.concat([d_lo, m_lo]).T,
                            ops.concat([d_hi / n_pos, m_hi / -n_neg]), self.grad_W[l])
            if self.comm.world_size > 1:
                self.grad_W[l][...] = self.comm.all_reduce_sum(self.grad_W[l])
        means = row_means([(x, pos_rows) for x in data] + [(x, self.chain_rows) for x in neg],
                          self.comm, ops.mean0, ops.concat)
        data_means = means[:n_layers]
        for l in range(n_layers):
            grad = data_means[l] - means[n_layers + l]
            self.vel_b[l] *= momentum
            self.vel_b[l] += lr * grad
        for l in range(n_layers - 1):  # the centred biases above use the old weights
            ops.momentum_step(W[l], self.vel_W[l], self.grad_W[l], lr, momentum, weight_decay)
        if centering:
            bc = [x + dv for x, dv in zip(bc, self.vel_b, strict=True)]
            b[:] = F.uncentred_biases(W, bc, off)
            for l in range(1, n_layers):
                off[l] = (1 - offset_rate) * off[l] + offset_rate * data_means[l]
        else:
            for l in range(n_layers):
                b[l] += self.vel_b[l]

    def run_epoch(self, n_batches, batch_size, lr_at, step, *, momentum, weight_decay,
                  mean_field_iters, gibbs_steps, centering=False, offset_rate=0.01,
                  tol=1e-4, progress=False, label="epoch 1", desc="DBM epoch", start_batch=0,
                  order=None):
        """The minibatch updates of one epoch from update number ``step``.

        ``lr_at(step)`` gives each update's learning rate. The mean field stops at
        ``tol`` (never read on an asynchronous device, which runs all
        ``mean_field_iters`` sweeps). Divergence is checked every 50 updates (its
        message names ``label``); ``progress`` shows a tqdm bar titled ``desc``.
        ``order`` and ``start_batch`` continue an epoch from a checkpoint. A stop
        request (:data:`boltz.checkpoint.INTERRUPT`, Ctrl-C during ``fit``) is
        honoured between minibatches: the parameters are written back and
        :class:`~boltz.checkpoint.TrainingInterrupted` is raised (``batch``: the
        minibatches done; ``order``, ``step``: the epoch's order and the update count).

        Returns
        -------
        (int, float)
            The next update number and the last learning rate.
        """
        from tqdm.auto import tqdm

        from ..checkpoint import INTERRUPT, TrainingInterrupted

        ops = self.ops
        tol = None if ops.asynchronous else tol
        if order is None:
            order = ops.permutation(self.X.shape[0])
        elif ops.name != "numpy":  # int64 indices from a checkpoint, onto the device
            import torch

            order = torch.as_tensor(np.asarray(order), device=ops.device)
        lr = None
        bar = tqdm(range(start_batch, n_batches), disable=not progress, desc=desc, leave=False)
        for i in bar:
            if INTERRUPT.pending():
                bar.close()
                self.download()
                exc = TrainingInterrupted(f"training interrupted at {label}, batch {i}", batch=i)
                exc.order, exc.step = order, step
                raise exc
            lr = lr_at(step)
            data = self.data_statistics(order[i * batch_size:(i + 1) * batch_size],
                                        mean_field_iters, tol)
            self.chains, neg = F.chain_statistics(self.chain_ops, self.W, self.b, self.chains,
                                                  gibbs_steps)
            self.update(data, neg, lr, momentum=momentum, weight_decay=weight_decay,
                        centering=centering, offset_rate=offset_rate)
            step += 1
            if step % 50 == 0:
                check_diverged(ops, self.W, self.b, f"{label}, update {step}", lr)
        bar.close()
        return step, lr

    def download(self):
        """Write the parameters into the model's arrays; returns the chains as NumPy."""
        if not self.in_place:
            m, ops = self.model, self.ops
            for dst, src in zip(m.weights_ + m.biases_, self.W + self.b, strict=True):
                dst[...] = ops.to_numpy(src)
        return [self.ops.to_numpy(c) for c in self.chains]
