"""One stochastic-gradient update of an RBM, written once against a compute backend.

:class:`Trainer` holds the training state (persistent chains, velocities,
centring offsets) and performs CD-k, PCD-k and parallel-tempering updates for
every visible family (Bernoulli, Gaussian with fixed or learned variance,
categorical) on any backend of :mod:`boltz.backend`: ``device=None`` runs the
NumPy/numba primitives, a torch device the torch ones. The formulas are in
this module only; see :mod:`boltz.rbm.training` for the method descriptions
and the training loop.

The update (Melchior, Fischer & Wiskott 2016, Alg. 1, for the centring)::

    y_pos = (p(h|v_pos) - lam) / n_pos,   y_neg = (lam - p(h|v_neg)) / n_neg
    G_W   = T_pos^T y_pos + T_neg^T y_neg - outer(mu, <h>_pos - <h>_neg)
    G_a   = <T>_pos - <T>_neg,  G_c = <h>_pos - <h>_neg - sparsity penalty
    vel   = momentum vel + lr (G - weight_decay W);  W += vel_W
    a    += vel_a - vel_W lam;  c += vel_c - mu vel_W     (centred -> plain biases)

with ``mu`` the data mean and ``lam`` a running mean of ``p(h|v)`` when
centring, else 0. Parallel tempering tempers the exponential-family part
``beta (a.T(v) + c.h + T(v) W h)`` and keeps the base measure ``h(v)`` (the
Gaussian's ``-v^2 / (2 var)``), so every tempered chain is proper, down to the
independent ``beta = 0`` chain; neighbours swap with probability
``min(1, exp((beta_t - beta_{t+1}) (E_t - E_{t+1})))`` (Desjardins et al. 2010).

Examples
--------
>>> import numpy as np
>>> from boltz.rbm import GaussianBernoulliRBM
>>> X = np.random.default_rng(0).normal(size=(100, 3)).astype(np.float32)
>>> m = GaussianBernoulliRBM(2, method="pt", n_temperatures=3, n_epochs=1, seed=0).fit(X)
>>> m.W_.shape
(3, 2)
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._validation import (
    check_choice,
    check_positive_int,
    check_positive_scalar,
    check_probability,
    check_rng,
)
from ..backend import deterministic_threads, get_backend
from ..datasets import draw_binary
from ..distributed.comm import get_communicator
from ..distributed.rows import RowShard, row_means, start_data_parallel

__all__ = ["Trainer", "METHODS"]

METHODS = ("cd", "pcd", "pt")

#: Bytes of training rows gathered at once for the minibatches of an epoch (the
#: minibatches are views of the gathered block).
GATHER_BYTES = 1 << 22


class Trainer:
    """Training state of one model on one backend (chains, velocities, centring offsets).

    Created by ``fit`` and kept by ``partial_fit`` so that persistent chains
    and momentum carry over between calls. ``up`` and ``down`` multiply the
    inputs of ``p(h | v)`` and ``p(v | h)`` (2 on the doubled side of greedy DBM
    pretraining, :func:`boltz.dbm.training.train_rbm_scaled`; Salakhutdinov &
    Hinton 2009, section 3.1). ``device`` overrides the model's ``device``.

    Parameters
    ----------
    model : RBMBase
        A model with parameters (``init_params`` called).
    X32 : ndarray
        The training data (float32), for the initial chains and the centring offset.
    seed : int, Generator or None
        Random stream of the chains and minibatches.
    up, down : float
        Input multipliers of the conditionals.
    device : optional
        Backend device (default: ``model.device``).
    comm : Communicator, optional
        Data-parallel training over the ranks of ``comm``
        (:mod:`boltz.distributed`): every rank passes the same data and seed, holds
        the same parameters and the same random stream, takes its rows of each
        global minibatch and its block of the persistent chains
        (:class:`~boltz.distributed.rows.RowShard`), and the gradient statistics are
        summed over ranks before the one update. Default: one process.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.rbm import BernoulliRBM
    >>> X = (np.random.default_rng(0).random((50, 6)) < 0.3).astype(np.float32)
    >>> m = BernoulliRBM(3, seed=0).init_params(6, X)
    >>> t = Trainer(m, X, seed=0)
    >>> t.run_epoch(X, lr=0.05, momentum=0.0, epoch=0)
    >>> t.n_updates
    1
    """

    def __init__(self, model, X32, seed=None, *, up: float = 1.0, down: float = 1.0,
                 device="model", comm=None):
        m = self.model = model
        self.comm = get_communicator(comm)
        self.up = check_positive_scalar(up, "up")
        self.down = check_positive_scalar(down, "down")
        self.rng = check_rng(seed)
        self.method = check_choice(m.method, "method", METHODS)
        if self.method == "pt" and (self.up != 1.0 or self.down != 1.0):
            raise ValueError("method='pt' supports up=down=1 only")
        self.k = check_positive_int(m.k, "k")
        self.batch_size = check_positive_int(m._training_setting("batch_size"), "batch_size")
        self.n_chains = (self.batch_size if m.n_chains is None
                         else check_positive_int(m.n_chains, "n_chains"))
        self.weight_decay = check_positive_scalar(m.weight_decay, "weight_decay", allow_zero=True)
        self.max_weight = check_positive_scalar(m.max_weight, "max_weight")
        self.sparsity_target = (None if m.sparsity_target is None else
                                check_probability(m.sparsity_target, "sparsity_target",
                                                  low_open=True, high_open=True))
        self.sparsity_cost = check_positive_scalar(m.sparsity_cost, "sparsity_cost",
                                                   allow_zero=True)
        self.centering = bool(m.centering)
        self.binarize = "dynamic" if m._dynamic_binarization() else None
        if self.comm.world_size > 1 and self.method == "pt":
            raise ValueError("method='pt' is not data-parallel (comm with world_size > 1); "
                             "use method='pcd' or 'cd'")
        start_data_parallel(self.comm, X32, self.batch_size,
                            self.n_chains if self.method == "pcd" else None,
                            m._param_arrays().values())
        n_t = 1
        if self.method == "pt":
            n_t = check_positive_int(m.n_temperatures, "n_temperatures")
            if n_t < 2:
                raise ValueError(f"n_temperatures must be at least 2 for method='pt', got {n_t}")
        self.device = getattr(m, "device", None) if device == "model" else device
        bk = self.bk = get_backend(self.device)
        if hasattr(bk, "set_threads"):  # NumPy: row-parallel kernels, same result on any count
            bk.set_threads(m.n_threads)
        self.stream = bk.stream(self.rng)
        n_vis, n_hid = m.W_.shape
        # 0/1 visibles (Bernoulli, one-hot): sparse row-sum products on the NumPy backend
        self.binary = bool(getattr(m, "_binary_visible", False))
        self.vel = {name: bk.asarray(np.zeros_like(arr)) for name, arr in
                    m._param_arrays().items()}
        self.mu = bk.asarray(X32.mean(axis=0).astype(np.float32) if self.centering
                             else np.zeros(n_vis, np.float32))
        self.lam = bk.full(n_hid, 0.5 if self.centering else 0.0)
        self.q = bk.full(n_hid, self.sparsity_target or 0.0)
        self._no_velocity = bk.asarray(np.empty((0, 0), np.float32))
        self._no_offset = bk.zeros_like(self.mu)  # u of the weight step without centring
        self._velocity_skipped = False
        self._pool = self._positive_phase_pool()
        self._X_host = self._X_dev = None
        self.n_updates = 0
        self.chain_h = None
        self.chain_rows = RowShard(self.n_chains, self.comm)
        self.batch_rows = None  # with several ranks: the RowShard of the minibatch (step)
        self.params = self._upload()
        with self._fixed_blas():
            self._init_chains(X32, n_t)

    def _fixed_blas(self):
        """BLAS (NumPy backend) or torch's intra-op pool (torch CPU) on one thread while this
        trainer works, so that its bits do not depend on the thread count
        (:func:`boltz.backend.deterministic_threads`)."""
        return deterministic_threads(self.bk)

    def _init_chains(self, X32, n_t):
        """The persistent (PCD) or tempered (PT) chains, started from data rows."""
        bk = self.bk
        if self.method == "pcd":  # every chain drawn as in one process, this rank's kept
            idx = self.rng.integers(0, X32.shape[0], size=self.n_chains)
            _, chain_h = self._hidden(self.draw(self._rows(X32, idx)))
            self.chain_h = self.chain_rows.take(chain_h)
        elif self.method == "pt":
            self.betas = np.linspace(1.0, 0.0, n_t).astype(np.float32)
            self.row_beta = bk.asarray(np.repeat(self.betas, self.n_chains))
            idx = self.rng.integers(0, X32.shape[0], size=self.n_chains * n_t)
            self.chain_v = self.draw(self._rows(X32, idx))
            _, self.chain_h = self._hidden(self.chain_v, self.row_beta)
            self.swap_attempts = 0
            self.swap_accepts = 0

    # -- data and parameters on the backend ---------------------------------
    def _data(self, X32):
        """``X32`` on the backend (uploaded once per array)."""
        if self.bk.name == "numpy":
            return X32
        if self._X_host is not X32:
            self._X_dev = self.bk.asarray(np.ascontiguousarray(X32, np.float32))
            self._X_host = X32
        return self._X_dev

    def _rows(self, X32, idx):
        """Rows ``idx`` (host indices) of ``X32`` on the backend."""
        if self.bk.name == "numpy":
            return X32[idx]
        return self.bk.asarray(X32[idx])

    def _upload(self) -> dict:
        """The model's parameters on the backend: the model's own arrays on NumPy
        (updated in place), copies on a torch device (written back by :meth:`_download`)."""
        return {k: self.bk.asarray(v) for k, v in self.model._param_arrays().items()}

    def _download(self):
        """Write the backend's parameters back into the model's arrays."""
        if self.bk.name == "numpy":
            return
        for name, arr in self.model._param_arrays().items():
            arr[...] = self.bk.to_numpy(self.params[name])

    def draw(self, rows):
        """The minibatch ``rows`` as trained on: a fresh Bernoulli draw with
        ``binarize="dynamic"``, else the rows themselves."""
        if self.bk.name == "numpy":
            return draw_binary(rows, self.rng, self.binarize)
        return rows if self.binarize is None else self.bk.binarize(rows, self.stream)

    def _positive_phase_pool(self):
        """With ``n_threads >= 2`` (PCD, PT, NumPy backend) a one-thread pool that computes
        the positive phase while the chains advance; else ``None``."""
        n_threads = self.model.n_threads
        if n_threads is not None and check_positive_int(n_threads, "n_threads") >= 2 \
                and self.method != "cd" and self.bk.supports_threads:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="boltz-rbm")
        return None

    # -- conditionals ---------------------------------------------------------
    def _sample_visible(self, pre, row_scale=None, bias=None, rows=None):
        """``(p(v|h), v ~ p(v|h))`` from the input ``pre``; ``rows`` (a RowShard: these are
        one rank's rows) draws them with the random numbers of one process."""
        def sample(pre):
            return self.model._sample_visible_from_pre(pre, self.stream, row_scale=row_scale,
                                                       bias=bias, bk=self.bk,
                                                       params=self.params)
        return sample(pre) if rows is None else rows.draw(sample, pre)

    def _hidden(self, v, row_scale=None, rows=None):
        """``(p(h|v), h ~ p(h|v))``; ``row_scale`` (PT) multiplies each row's input and bias;
        ``rows`` as in :meth:`_sample_visible`."""
        bk, p = self.bk, self.params
        pre = bk.hidden_input(self.model._stats(v), p["W"], self.binary)
        if row_scale is None:
            def sample(pre):
                scale = None if self.up == 1.0 else bk.full(pre.shape[0], self.up)
                return bk.bernoulli(pre, scale, p["hidden_bias"], self.stream)
            return sample(pre) if rows is None else rows.draw(sample, pre)
        bias2d = row_scale[:, None] * p["hidden_bias"][None, :]
        return bk.bernoulli(pre, row_scale, bias2d, self.stream)

    def _hidden_probabilities(self, v):
        """``p(h|v)`` without sampling (the persistent methods' positive phase)."""
        bk, p = self.bk, self.params
        pre = bk.hidden_input(self.model._stats(v), p["W"], self.binary)
        if self.up != 1.0:
            pre *= np.float32(self.up)
        return bk.sigmoid(pre, p["hidden_bias"], out=pre)

    def _negative_phase(self, h_start, rows=None):
        """``k`` Gibbs sweeps from ``h_start``: ``(v, p(h|v), h)``; ``rows`` as in
        :meth:`_sample_visible`."""
        h = h_start
        n = h.shape[0] if rows is None else rows.n
        scale = None if self.down == 1.0 else self.bk.full(n, self.down)
        for _ in range(self.k):
            v, _ = self._sample_visible(self.bk.visible_input(h, self.params["W"]), scale,
                                        rows=rows)
            ph, h = self._hidden(v, rows=rows)
        return v, ph, h

    # -- parallel tempering ---------------------------------------------------
    def _pt_phase(self):
        bk, p = self.bk, self.params
        rb = self.row_beta
        bias_v = rb[:, None] * p["visible_bias"][None, :]
        for _ in range(self.k):
            pre_v = self.chain_h @ p["W"].T
            self.chain_v, _ = self._sample_visible(pre_v, rb, bias_v)
            ph, self.chain_h = self._hidden(self.chain_v, rb)
        self._pt_swap()
        v0 = self.chain_v[:self.n_chains]
        ph0 = bk.expit(self.model._stats(v0) @ p["W"] + p["hidden_bias"])
        return v0, ph0

    def _pt_energy(self):
        """Tempered energy ``-(a.T(v) + c.h + T(v) W h)`` of every chain (float64)."""
        bk, p = self.bk, self.params
        v = bk.to64(self.model._stats(self.chain_v))
        h = bk.to64(self.chain_h)
        return -(v @ bk.to64(p["visible_bias"]) + h @ bk.to64(p["hidden_bias"])
                 + bk.rowdot(v @ bk.to64(p["W"]), h))

    def _pt_swap(self):
        """Metropolis swaps of neighbouring temperatures, alternating even/odd pairs."""
        bk = self.bk
        c = self.n_chains
        n_t = len(self.betas)
        energy = self._pt_energy().reshape(n_t, c)
        for t in range(self.n_updates % 2, n_t - 1, 2):
            d = (float(self.betas[t]) - float(self.betas[t + 1])) * (energy[t] - energy[t + 1])
            accept = bk.log(bk.uniform(c, self.stream)) < d
            n_acc = bk.count_true(accept)
            self.swap_attempts += c
            self.swap_accepts += n_acc
            if n_acc:
                a = bk.where_true(accept)
                i, j = t * c + a, (t + 1) * c + a
                bk.swap_rows(self.chain_v, i, j)
                bk.swap_rows(self.chain_h, i, j)
                energy[t, a], energy[t + 1, a] = energy[t + 1, a], energy[t, a]

    # -- one update -----------------------------------------------------------
    def _weight_velocity(self):
        """The weight velocity for the update, or an empty array for plain SGD.

        With ``momentum`` a constant 0 and no centring (whose bias correction reads
        the step from the velocity) the velocity, 1.5 MB read and written per
        update at 784 x 500, is skipped; switching momentum on later
        (``set_params`` between ``partial_fit`` calls) starts it from zero.
        """
        m = self.model
        momentum = m._training_setting("momentum")
        if not callable(momentum) and momentum == 0 and not self.centering:
            self._velocity_skipped = True
            return self._no_velocity
        if self._velocity_skipped:
            self.vel["W"][...] = 0.0
            self._velocity_skipped = False
        return self.vel["W"]

    def _phases(self, v_pos):
        """``(p(h|v_pos), v_neg, p(h|v_neg))`` of the method (with several ranks ``v_pos`` is
        this rank's rows ``self.batch_rows`` of the minibatch)."""
        pending = None
        pos_rows = self.batch_rows
        chain_rows = None if self.comm.world_size == 1 else self.chain_rows
        if self.method == "cd":
            ph_pos, h_pos = self._hidden(v_pos, rows=pos_rows)
            v_neg, ph_neg, _ = self._negative_phase(h_pos, rows=pos_rows)
            return ph_pos, v_neg, ph_neg
        if self._pool is not None:
            # the positive phase (no random numbers) overlaps the negative one on a
            # second core: the numba kernels and BLAS release the GIL
            pending = self._pool.submit(self._hidden_probabilities, v_pos)
        else:
            ph_pos = self._hidden_probabilities(v_pos)
        if self.method == "pcd":
            v_neg, ph_neg, self.chain_h = self._negative_phase(self.chain_h, rows=chain_rows)
        else:
            v_neg, ph_neg = self._pt_phase()
        if pending is not None:
            ph_pos = pending.result()
        return ph_pos, v_neg, ph_neg

    def _row_means(self, pairs):
        """Means over rows of each ``(x, rows)``, summed over ranks with several
        (:func:`boltz.distributed.rows.row_means`)."""
        return row_means(pairs, self.comm, self.bk.mean_rows, self.bk.concat)

    def step(self, v_pos, lr, momentum):
        """One stochastic-gradient update on the minibatch ``v_pos``; returns ``max |W|``.

        With several ranks (``comm``) ``v_pos`` is the global minibatch, the same on
        every rank; each rank computes the statistics of its rows and of its chains,
        they are summed over ranks, and every rank applies the same update.
        """
        m, bk, p = self.model, self.bk, self.params
        pos_rows = neg_rows = None
        if self.comm.world_size > 1:
            pos_rows = RowShard(v_pos.shape[0], self.comm)
            neg_rows = pos_rows if self.method == "cd" else self.chain_rows
            v_pos = pos_rows.take(v_pos)
        self.batch_rows = pos_rows
        ph_pos, v_neg, ph_neg = self._phases(v_pos)
        n_pos = v_pos.shape[0] if pos_rows is None else pos_rows.n
        n_neg = v_neg.shape[0] if neg_rows is None else neg_rows.n
        t_pos, t_neg = m._stats(v_pos), m._stats(v_neg)
        mean_hpos, mean_hneg, mean_tpos, mean_tneg = self._row_means(
            [(ph_pos, pos_rows), (ph_neg, neg_rows), (t_pos, pos_rows), (t_neg, neg_rows)])
        if self.centering:
            self.lam += 0.01 * (mean_hpos - self.lam)
        # Gradient of W: S - outer(mu, mean_hpos - mean_hneg) with
        # S = T_pos^T (ph_pos - lam) / n_pos - T_neg^T (ph_neg - lam) / n_neg; this is
        # the centred gradient <(v - mu)(h - lam)^T>_data - <...>_model rearranged so
        # that S keeps the 0/1 (sparse) visibles. mu = lam = 0 without centring.
        # n_pos, n_neg count the global rows: S is a sum over ranks.
        y_pos = (ph_pos - self.lam) * (1.0 / n_pos)
        y_neg = (self.lam - ph_neg) * (1.0 / n_neg)
        grad_a = mean_tpos - mean_tneg
        grad_c = dh = mean_hpos - mean_hneg
        if self.sparsity_target is not None and self.sparsity_cost > 0:
            self.q = 0.9 * self.q + 0.1 * mean_hpos
            pen = self.sparsity_cost * (self.q - self.sparsity_target)
            grad_c = grad_c - pen
            y_pos -= pen * (1.0 / n_pos)   # adds -outer(mean_tpos, pen) to S
        u = self.mu if self.centering else self._no_offset
        if pos_rows is None:
            extra = m._extra_gradients(v_pos, v_neg, bk=bk, params=p)
            max_w = bk.weight_step(p["W"], self._weight_velocity(), t_pos, y_pos, t_neg, y_neg,
                                   u, dh, lr, momentum,
                                   self.weight_decay, self.binary,
                                   self.chain_h if self.method == "pcd" else None)
        else:  # statistics of this rank, summed over ranks, then the same step everywhere
            extra = m._extra_gradients(v_pos, v_neg, bk=bk, params=p,
                                       means=(pos_rows.mean, neg_rows.mean))
            extra = {name: self.comm.all_reduce_sum(g) for name, g in extra.items()}
            grad = self.comm.all_reduce_sum(
                bk.weight_gradient(t_pos, y_pos, t_neg, y_neg, self.binary))
            max_w = bk.apply_weight_step(p["W"], self._weight_velocity(), grad, u, dh, lr,
                                         momentum, self.weight_decay)
        if bk.checks_each_step and not (max_w <= self.max_weight):
            return max_w
        va, vc = self.vel["visible_bias"], self.vel["hidden_bias"]
        va *= momentum
        va += lr * grad_a
        vc *= momentum
        vc += lr * grad_c
        if self.centering:
            # Centred-to-plain conversion (Melchior et al. 2016, Alg. 1):
            # a = a_c - W lam and c = c_c - W^T mu, so the plain biases also move
            # by -dW lam and -dW^T mu.
            dW = self.vel["W"]
            p["visible_bias"] += va - dW @ self.lam
            p["hidden_bias"] += vc - self.mu @ dW
        else:
            p["visible_bias"] += va
            p["hidden_bias"] += vc
        for name, g in extra.items():
            vel = self.vel[name]
            vel *= momentum
            vel += lr * g
            p[name] += vel
        self.n_updates += 1
        return max_w

    def _minibatches(self, X, order, start_batch=0):
        """``(b, rows)`` for minibatch ``b = start_batch, ...`` of the epoch's ``order``.

        Rows are gathered for many minibatches at once (about
        :data:`GATHER_BYTES` at a time) and each minibatch is a view of the
        gathered block: one fancy-indexing call per block instead of one per
        minibatch, which matters at scikit-learn's batch size of 10.
        """
        n, bs = X.shape[0], self.batch_size
        per_block = max(1, GATHER_BYTES // max(1, 4 * X.shape[1] * bs))
        for first in range(start_batch, -(-n // bs), per_block):
            lo = first * bs
            block = X[order[lo:lo + per_block * bs]]
            for i in range(0, block.shape[0], bs):
                yield first + i // bs, block[i:i + bs]

    def run_epoch(self, X32, lr: float, momentum: float, epoch: int, *, start_batch: int = 0,
                  order=None):
        """One pass over ``X32`` in shuffled minibatches; raises
        :class:`~boltz.rbm.limits.DivergenceError` on divergence.

        ``order`` and ``start_batch`` continue an epoch from a checkpoint (its
        minibatch order, the minibatches done). A stop request
        (:data:`boltz.checkpoint.INTERRUPT`, set by Ctrl-C during ``fit``) is
        honoured between minibatches: the parameters are written back and
        :class:`~boltz.checkpoint.TrainingInterrupted` is raised with the position
        (its ``order`` attribute holds the epoch's order).
        """
        from ..checkpoint import INTERRUPT, TrainingInterrupted
        from .limits import DivergenceError

        bk = self.bk
        self.params = self._upload()
        bk.weights_changed()  # W_ may have been changed between epochs (callbacks, users)
        X = self._data(X32)
        if order is None:
            order = bk.permutation(X32.shape[0], self.stream)
        elif bk.name != "numpy":
            import torch

            order = torch.as_tensor(np.asarray(order), device=bk.device)
        max_w = 0.0
        with self._fixed_blas():
            for b, batch in self._minibatches(X, order, start_batch):
                if INTERRUPT.pending():
                    self._download()
                    exc = TrainingInterrupted(f"training interrupted at epoch {epoch + 1}, "
                                              f"batch {b}", epoch=epoch, batch=b)
                    exc.order = order
                    raise exc
                max_w = self.step(self.draw(batch), lr, momentum)
                if bk.checks_each_step and not (max_w <= self.max_weight):
                    raise DivergenceError(
                        f"training diverged at epoch {epoch + 1}, batch {b + 1}: max |W| = "
                        f"{max_w:.4g} (max_weight={self.max_weight:g}); lower learning_rate "
                        f"(now {lr:g}) or add weight_decay")
        self._download()
        max_w = float(np.abs(self.model.W_).max())
        if not (max_w <= self.max_weight):
            raise DivergenceError(
                f"training diverged in epoch {epoch + 1} (checked at the end of the epoch on "
                f"{bk.device}): max |W| = {max_w:.4g} (max_weight={self.max_weight:g}); "
                f"lower learning_rate (now {lr:g}) or add weight_decay")
        for name, arr in self.model._param_arrays().items():
            if not np.all(np.isfinite(arr)):
                raise DivergenceError(
                    f"training diverged at epoch {epoch + 1}: {name} contains NaN or inf; "
                    f"lower learning_rate (now {lr:g})")
