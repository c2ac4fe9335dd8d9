"""Stochastic-gradient training of RBMs: CD-k, PCD-k and parallel tempering.

The log-likelihood gradient of an RBM is a difference of two expectations,
``<T(v) p(h|v)^T>_data - <T(v) h^T>_model``. The positive phase uses the
minibatch; the negative phase approximates the model expectation with

- ``"cd"``: ``k`` block-Gibbs sweeps started at the minibatch (Hinton 2002);
- ``"pcd"``: ``k`` sweeps of persistent chains that survive between updates
  (Tieleman 2008) — the chains keep their last hidden sample, as in
  scikit-learn's ``BernoulliRBM``, so one update costs three float32 matrix
  products plus one for the gradient;
- ``"pt"``: persistent chains at ``n_temperatures`` inverse temperatures
  ``beta = 1 ... 0`` with swaps between neighbours (Desjardins et al. 2010),
  Bernoulli visibles only; statistics come from the ``beta = 1`` chain.

Optional extras: centring (Montavon & Müller 2012; Melchior, Fischer &
Wiskott 2016): the gradient is taken for the offset energy
``-(v - mu) W (h - lam)`` with ``mu`` the data mean and ``lam`` a running mean
of ``p(h|v)``, and converted back to the plain parameters, which is what the
model stores; momentum, L2 weight decay, a sparsity target on the hidden
activations (Lee et al. 2008; Hinton's guide, section 11), and learning-rate
schedules (``"constant"``, ``"linear"`` decay to ``final_lr_fraction``,
``"exponential"`` decay to it, ``"linear_time"``: the linear decay spread
over the ``max_seconds`` time budget instead of the epochs, or a callable
``epoch -> lr``). With ``max_seconds`` set, training ends after the epoch in
which the budget runs out, whatever the schedule.

Products with 0/1 matrices (Bernoulli/one-hot visibles, sampled hiddens) are
sparse row sums in numba when few units are on, else float32 BLAS; sampling
uses NumPy's SIMD ``exp`` and a numba finishing loop; the parameter update is
one fused kernel that also reports ``max |W|``, so divergence (NaN/inf, or
weights beyond ``max_weight``) stops training with a
:class:`~boltz.rbm.model.DivergenceError` at the batch where it happens. With
``n_threads >= 2`` a worker thread computes the positive phase while the
persistent chains advance (same result, two cores).

What works on binarized MNIST (``benchmarks/rbm_mnist.py``): centred PCD-1,
no momentum, ``learning_rate=0.02`` decaying linearly to 1%. A constant rate
leaves the model oscillating with its persistent chains; the final small
rates are what settle it.

:func:`train` is what ``fit``/``partial_fit`` call; use those.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import special

from .._validation import (
    check_choice,
    check_nonnegative_int,
    check_positive_int,
    check_positive_scalar,
    check_probability,
    check_rng,
)
from ..datasets import draw_binary
from . import _kernels as K

__all__ = ["Trainer", "learning_rate_at", "make_trainer", "momentum_at"]

_METHODS = ("cd", "pcd", "pt")
_SCHEDULES = ("constant", "linear", "exponential", "linear_time")


def time_budget(model) -> float | None:
    """``model.max_seconds`` checked (``None``: no budget); ``"linear_time"`` needs one."""
    budget = getattr(model, "max_seconds", None)
    if budget is not None:
        return check_positive_scalar(budget, "max_seconds")
    if model.lr_schedule == "linear_time":
        raise ValueError("lr_schedule='linear_time' needs max_seconds (the time budget)")
    return None


def learning_rate_at(model, epoch: int, n_epochs: int, elapsed: float = 0.0) -> float:
    """The learning rate of (0-based) ``epoch`` under ``model.lr_schedule``.

    ``elapsed`` is the training time so far in seconds, which ``"linear_time"``
    decays over (down to ``final_lr_fraction`` when it reaches ``max_seconds``).
    """
    lr0 = check_positive_scalar(model.learning_rate, "learning_rate")
    sched = model.lr_schedule
    if callable(sched):
        return check_positive_scalar(sched(epoch), "lr_schedule(epoch)", allow_zero=True)
    check_choice(sched, "lr_schedule", _SCHEDULES)
    final = check_probability(model.final_lr_fraction, "final_lr_fraction", low_open=True)
    if sched == "linear_time":
        return lr0 * (1.0 - (1.0 - final) * min(1.0, elapsed / time_budget(model)))
    frac = epoch / max(n_epochs - 1, 1)
    if sched == "linear":
        return lr0 * (1.0 - (1.0 - final) * frac)
    if sched == "exponential":
        return lr0 * final**frac
    return lr0


def momentum_at(model, epoch: int) -> float:
    """Momentum of ``epoch``: a number, or a callable ``epoch -> momentum``."""
    m = model.momentum(epoch) if callable(model.momentum) else model.momentum
    return check_probability(m, "momentum", high_open=True)


class Trainer:
    """Training state of one model (chains, velocities, centring offsets).

    Created by ``fit`` and kept by ``partial_fit`` so that persistent chains
    and momentum carry over between calls. ``up`` and ``down`` multiply the
    inputs of ``p(h | v)`` and ``p(v | h)`` (2 on the doubled side of greedy DBM
    pretraining, :func:`boltz.dbm.training.train_rbm_scaled`).
    """

    def __init__(self, model, X32, seed=None, *, up: float = 1.0, down: float = 1.0):
        self.model = model
        # Input multipliers of the conditionals, p(h|v) = sigmoid(up * T(v) W + c) and
        # p(v|h) with natural parameters down * W h + a: 1 for an RBM; 2 on the doubled
        # side of the bottom/top RBMs of greedy DBM pretraining (Salakhutdinov & Hinton
        # 2009, section 3.1).
        self.up = check_positive_scalar(up, "up")
        self.down = check_positive_scalar(down, "down")
        self.rng = check_rng(seed)
        m = model
        self.method = check_choice(m.method, "method", _METHODS)
        if self.method == "pt" and (self.up != 1.0 or self.down != 1.0):
            raise ValueError("method='pt' supports up=down=1 only")
        if self.method == "pt" and not m._supports_pt:
            raise ValueError(f"method='pt' is implemented for BernoulliRBM, not {type(m).__name__}")
        self.k = check_positive_int(m.k, "k")
        self.batch_size = check_positive_int(m.batch_size, "batch_size")
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
        n_vis, n_hid = m.W_.shape
        self.vel = {name: np.zeros_like(arr) for name, arr in m._param_arrays().items()}
        self.mu = (X32.mean(axis=0).astype(np.float32) if self.centering
                   else np.zeros(n_vis, np.float32))
        self.lam = np.full(n_hid, 0.5 if self.centering else 0.0, dtype=np.float32)
        self.q = np.full(n_hid, self.sparsity_target or 0.0, dtype=np.float32)
        self.grad_W = np.empty((n_vis, n_hid), dtype=np.float32)
        # 0/1 visibles (Bernoulli, one-hot): sparse row-sum products instead of BLAS
        self.binary = bool(getattr(m, "_binary_visible", False))
        self._zero_h = np.zeros(n_hid, np.float32)
        self._zero_v = np.zeros(n_vis, np.float32)
        self._WT = np.empty((n_hid, n_vis), np.float32)  # W^T for sparse h W^T products
        self._WT_valid = False  # whether _WT holds the current W_ (see run_epoch)
        self._no_velocity = np.empty((0, 0), np.float32)  # also "no W^T" for the update
        self._velocity_skipped = False
        self._index_cache = []  # [(v, column_index(v))] of the last two 0/1 v seen
        self._pool = self._positive_phase_pool()
        self.n_updates = 0
        self.chain_h = None
        if self.method == "pcd":
            idx = self.rng.integers(0, X32.shape[0], size=self.n_chains)
            _, self.chain_h = self._hidden(self.draw(X32[idx]))
        elif self.method == "pt":
            n_t = check_positive_int(m.n_temperatures, "n_temperatures")
            if n_t < 2:
                raise ValueError(f"n_temperatures must be at least 2 for method='pt', got {n_t}")
            self.betas = np.linspace(1.0, 0.0, n_t).astype(np.float32)
            self.row_beta = np.repeat(self.betas, self.n_chains)
            idx = self.rng.integers(0, X32.shape[0], size=self.n_chains * n_t)
            self.chain_v = self.draw(X32[idx]).copy()
            _, self.chain_h = self._hidden(self.chain_v, self.row_beta)
            self.swap_attempts = 0
            self.swap_accepts = 0

    def draw(self, rows):
        """The minibatch ``rows`` as trained on: a fresh Bernoulli draw with
        ``binarize="dynamic"``, else the rows themselves."""
        return draw_binary(rows, self.rng, self.binarize)

    def _positive_phase_pool(self):
        """With ``n_threads >= 2`` (PCD, PT) a one-thread pool that computes the positive
        phase while the chains advance; else ``None``."""
        n_threads = self.model.n_threads
        if n_threads is not None and check_positive_int(n_threads, "n_threads") >= 2 \
                and self.method != "cd":
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="boltz-rbm")
        return None

    # -- sampling helpers ---------------------------------------------------
    def _column_index(self, v):
        """:func:`column_index` of the 0/1 matrix ``v``, cached for the last two matrices
        seen (the positive and negative minibatches: their products and the update
        read the same index). Safe to call from the positive-phase worker: a lost
        cache entry only means the index is computed again."""
        cache = self._index_cache
        for cached_v, idx in cache:
            if cached_v is v:
                return idx
        idx = K.column_index(v)
        self._index_cache = [(v, idx)] + cache[:1]
        return idx

    def _hidden_input(self, v):
        """``T(v) W`` (float32), without the bias and the ``up`` factor."""
        m = self.model
        pre = np.empty((v.shape[0], m.W_.shape[1]), np.float32)
        if self.binary:
            starts, rows = self._column_index(v)
            K.binary_matmul_indexed(starts, rows, m.W_, self._zero_h, pre)
        else:
            np.dot(m._stats(v), m.W_, out=pre)
        return pre

    def _hidden(self, v, row_scale=None):
        """``(p(h|v), h ~ p(h|v))``; ``row_scale`` (PT) multiplies each row's input and bias."""
        m = self.model
        pre = self._hidden_input(v)
        prob = np.empty_like(pre)
        samp = np.empty_like(pre)
        if row_scale is None:
            scale = np.full(v.shape[0], self.up, np.float32)
            K.bernoulli_from_preactivation(pre, scale, m.hidden_bias_, K.new_key(self.rng),
                                           prob, samp)
        else:
            bias2d = np.outer(row_scale, m.hidden_bias_).astype(np.float32)
            K.bernoulli_from_preactivation_rowbias(pre, row_scale, bias2d, K.new_key(self.rng),
                                                   prob, samp)
        return prob, samp

    def _hidden_probabilities(self, v):
        if type(self)._hidden is not Trainer._hidden:  # a subclass changed the conditional
            return self._hidden(v)[0]
        pre = self._hidden_input(v)
        if self.up != 1.0:
            pre *= np.float32(self.up)
        K.sigmoid_from_preactivation(pre, self.model.hidden_bias_, pre)
        return pre

    def _visible_input(self, h):
        """``h W^T`` (float32) for a 0/1 hidden sample ``h``: a sparse row sum over
        ``W^T`` when few hidden units are on, else a BLAS product."""
        m = self.model
        if np.count_nonzero(h) < K.SPARSE_BELOW * h.size:
            if not self._WT_valid:
                K.transpose_into(m.W_, self._WT)
                self._WT_valid = True
            pre = np.empty((h.shape[0], self._WT.shape[1]), np.float32)
            K.binary_matmul(h, self._WT, self._zero_v, pre)
            return pre
        return h @ m.W_.T

    def _negative_phase(self, h_start):
        m = self.model
        h = h_start
        scale = None if self.down == 1.0 else np.full(h.shape[0], self.down, np.float32)
        for _ in range(self.k):
            v, _ = m._sample_visible_from_pre(self._visible_input(h), self.rng, row_scale=scale)
            ph, h = self._hidden(v)
        return v, ph, h

    def _pt_phase(self):
        m = self.model
        rb = self.row_beta
        bias_v = np.outer(rb, m.visible_bias_).astype(np.float32)
        for _ in range(self.k):
            pre_v = self.chain_h @ m.W_.T
            prob = np.empty_like(pre_v)
            v = np.empty_like(pre_v)
            K.bernoulli_from_preactivation_rowbias(pre_v, rb, bias_v, K.new_key(self.rng), prob, v)
            self.chain_v = v
            ph, self.chain_h = self._hidden(v, rb)
        self._pt_swap()
        c = self.n_chains
        v0 = self.chain_v[:c]
        ph0 = special.expit(v0 @ m.W_ + m.hidden_bias_).astype(np.float32)
        return v0, ph0

    def _pt_swap(self):
        """Metropolis swaps of neighbouring temperatures, alternating even/odd pairs."""
        m = self.model
        c = self.n_chains
        n_t = len(self.betas)
        v = self.chain_v.astype(np.float64)
        h = self.chain_h.astype(np.float64)
        energy = -(v @ m.visible_bias_.astype(np.float64) + h @ m.hidden_bias_.astype(np.float64)
                   + np.einsum("ij,ij->i", v @ m.W_.astype(np.float64), h))
        energy = energy.reshape(n_t, c)
        start = self.n_updates % 2
        for t in range(start, n_t - 1, 2):
            d = (float(self.betas[t]) - float(self.betas[t + 1])) * (energy[t] - energy[t + 1])
            accept = np.log(self.rng.random(c)) < d
            self.swap_attempts += c
            self.swap_accepts += int(accept.sum())
            if accept.any():
                a = np.flatnonzero(accept)
                i, j = t * c + a, (t + 1) * c + a
                for arr in (self.chain_v, self.chain_h):
                    tmp = arr[i].copy()
                    arr[i] = arr[j]
                    arr[j] = tmp
                energy[t, a], energy[t + 1, a] = energy[t + 1, a], energy[t, a]

    def _weight_velocity(self):
        """The weight velocity for the fused update, or an empty array for plain SGD.

        With ``momentum`` a constant 0 and no centring (whose bias correction reads
        the step from the velocity) the velocity, 1.5 MB read and written per
        update at 784 x 500, is skipped; switching momentum on later
        (``set_params`` between ``partial_fit`` calls) starts it from zero.
        """
        m = self.model
        if not callable(m.momentum) and m.momentum == 0 and not self.centering:
            self._velocity_skipped = True
            return self._no_velocity
        if self._velocity_skipped:
            self.vel["W"].fill(0.0)
            self._velocity_skipped = False
        return self.vel["W"]

    # -- one update ---------------------------------------------------------
    def step(self, v_pos, lr, momentum):
        """One stochastic-gradient update on the minibatch ``v_pos`` (float32)."""
        m = self.model
        pending = None
        if self.method == "cd":
            ph_pos, h_pos = self._hidden(v_pos)
        elif self._pool is not None:
            # the positive phase (no random numbers) overlaps the negative one on a
            # second core: the numba kernels and BLAS release the GIL
            pending = self._pool.submit(self._hidden_probabilities, v_pos)
        else:
            ph_pos = self._hidden_probabilities(v_pos)
        if self.method == "cd":
            v_neg, ph_neg, _ = self._negative_phase(h_pos)
        elif self.method == "pcd":
            v_neg, ph_neg, self.chain_h = self._negative_phase(self.chain_h)
        else:
            v_neg, ph_neg = self._pt_phase()
        if pending is not None:
            ph_pos = pending.result()
        n_pos, n_neg = v_pos.shape[0], v_neg.shape[0]
        t_pos, t_neg = m._stats(v_pos), m._stats(v_neg)
        mean_hpos = ph_pos.mean(axis=0)
        mean_hneg = ph_neg.mean(axis=0)
        if self.centering:
            self.lam += 0.01 * (mean_hpos - self.lam)
        # Gradient of W: S - outer(mu, mean_hpos - mean_hneg) with
        # S = T_pos^T (ph_pos - lam) / n_pos - T_neg^T (ph_neg - lam) / n_neg; this is
        # the centred gradient <(v - mu)(h - lam)^T>_data - <...>_model rearranged so
        # that S keeps the 0/1 (sparse) visibles. mu = lam = 0 without centring.
        y_pos = (ph_pos - self.lam) * (1.0 / n_pos)
        y_neg = (self.lam - ph_neg) * (1.0 / n_neg)
        mean_tpos = t_pos.mean(axis=0)
        grad_a = mean_tpos - t_neg.mean(axis=0)
        grad_c = mean_hpos - mean_hneg
        if self.sparsity_target is not None and self.sparsity_cost > 0:
            self.q = 0.9 * self.q + 0.1 * mean_hpos
            pen = (self.sparsity_cost * (self.q - self.sparsity_target)).astype(np.float32)
            grad_c = grad_c - pen
            y_pos -= pen * (1.0 / n_pos)   # adds -outer(mean_tpos, pen) to S
        extra = m._extra_gradients(v_pos, v_neg) if hasattr(m, "_extra_gradients") else {}
        u = self.mu if self.centering else self._zero_v
        w = (mean_hpos - mean_hneg).astype(np.float32)
        if self.binary:
            y_pos = y_pos.astype(np.float32, copy=False)
            y_neg = y_neg.astype(np.float32, copy=False)
            sp, rp = self._column_index(t_pos)
            sn, rn = self._column_index(t_neg)
            # W^T is written only if the next negative phase will read it: with PCD the
            # chains' hidden state, known now, decides between sparse and dense
            write_t = (self.method != "pcd"
                       or np.count_nonzero(self.chain_h) < K.SPARSE_BELOW * self.chain_h.size)
            max_w = K.fused_binary_update_indexed(sp, rp, y_pos, sn, rn, y_neg, m.W_,
                                                  self._weight_velocity(), u, w, lr, momentum,
                                                  self.weight_decay,
                                                  self._WT if write_t else self._no_velocity)
            self._WT_valid = write_t
        else:
            np.dot(np.concatenate([t_pos, t_neg]).T,
                   np.concatenate([y_pos, y_neg]).astype(np.float32), out=self.grad_W)
            max_w = K.update_parameters_rank1(m.W_, self.vel["W"], self.grad_W, u, w, lr,
                                              momentum, self.weight_decay)
            self._WT_valid = False
        if not (max_w <= self.max_weight):
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
            m.visible_bias_ += va - dW @ self.lam
            m.hidden_bias_ += vc - self.mu @ dW
        else:
            m.visible_bias_ += va
            m.hidden_bias_ += vc
        for name, g in extra.items():
            vel = self.vel[name]
            vel *= momentum
            vel += lr * g
            getattr(m, name + "_")[...] += vel
        self.n_updates += 1
        return max_w

    def run_epoch(self, X32, lr: float, momentum: float, epoch: int):
        """One pass over ``X32`` in shuffled minibatches; raises on divergence."""
        from .model import DivergenceError

        m = self.model
        self._WT_valid = False  # W_ may have been changed between epochs (callbacks, users)
        for b, idx in enumerate(_batches(X32.shape[0], self.batch_size, self.rng)):
            max_w = self.step(self.draw(X32[idx]), lr, momentum)
            if not (max_w <= self.max_weight):
                raise DivergenceError(
                    f"training diverged at epoch {epoch + 1}, batch {b + 1}: max |W| = "
                    f"{max_w:.4g} (max_weight={self.max_weight:g}); lower learning_rate "
                    f"(now {lr:g}) or add weight_decay"
                )
        for name, arr in m._param_arrays().items():
            if not np.all(np.isfinite(arr)):
                raise DivergenceError(
                    f"training diverged at epoch {epoch + 1}: {name} contains NaN or inf; "
                    f"lower learning_rate (now {lr:g})"
                )


def _batches(n, batch_size, rng):
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def run_epoch(trainer: Trainer, X32, lr: float, momentum: float, epoch: int):
    """One pass over ``X32`` in shuffled minibatches; raises on divergence."""
    trainer.run_epoch(X32, lr, momentum, epoch)


def uses_torch(model) -> bool:
    """Whether ``model.device`` asks for the torch path (anything but ``None``/``"cpu"``)."""
    return getattr(model, "device", None) not in (None, "cpu")


def make_trainer(model, X32, seed=None, *, up: float = 1.0, down: float = 1.0):
    """A :class:`Trainer`, or with ``model.device`` set a
    :class:`boltz.deep.rbm.TorchTrainer` (imports torch only then)."""
    if uses_torch(model):
        from ..deep.rbm import TorchTrainer

        return TorchTrainer(model, X32, seed, up=up, down=down)
    return Trainer(model, X32, seed, up=up, down=down)


def epoch_metrics(model, X_monitor, X_val, epoch, rng) -> dict:
    """Reconstruction error and (Bernoulli visibles) exact pseudo-likelihood, per sample."""
    out = {}
    rec = model.reconstruct(X_monitor)
    out["recon_error"] = float(((X_monitor - rec) ** 2).sum(axis=1).mean())
    if model._supports_pt:
        out["pseudo_loglik"] = float(model.pseudo_log_likelihood(X_monitor).mean())
    if X_val is not None:
        rec = model.reconstruct(X_val)
        out["val_recon_error"] = float(((X_val - rec) ** 2).sum(axis=1).mean())
        if model._supports_pt:
            out["val_pseudo_loglik"] = float(model.pseudo_log_likelihood(X_val).mean())
    return out


def train(model, X32, n_epochs, *, X_val=None, callbacks=(), trainer=None, epoch_offset=0,
          X_val_full=None, rng=None):
    """Train ``model`` in place for ``n_epochs`` passes over ``X32``; returns the trainer.

    Appends one dict of metrics per epoch to ``model.history_``. ``callbacks``
    are called as ``cb(model, epoch, metrics)``; a callback returning ``True``
    stops training, and so does the end of the ``model.max_seconds`` budget
    (after the epoch in which it runs out; the time counts from this call).
    Early stopping (``model.early_stopping``) watches the validation AIS
    log-likelihood when computed, else the validation pseudo-likelihood, else
    minus the validation reconstruction error, and
    restores the best parameters seen.
    """
    from tqdm.auto import tqdm

    rng = check_rng(model.seed if rng is None else rng)
    if trainer is None:
        trainer = make_trainer(model, X32, rng)
    monitor_every = check_nonnegative_int(model.monitor_every, "monitor_every")
    ais_every = check_nonnegative_int(model.ais_every, "ais_every")
    monitor_size = check_positive_int(model.monitor_size, "monitor_size")
    patience = check_positive_int(model.patience, "patience")
    budget = time_budget(model)
    if model.early_stopping and X_val is None:
        raise ValueError("early_stopping=True needs validation data: fit(X, X_val=...)")
    mon_idx = trainer.rng.choice(X32.shape[0], size=min(monitor_size, X32.shape[0]), replace=False)
    X_mon = trainer.draw(X32[np.sort(mon_idx)]).astype(np.float64)
    X_val_mon = None
    if X_val is not None:
        X_val_mon = X_val[:monitor_size].astype(np.float64)
    best, best_params, bad = -np.inf, None, 0
    bar = tqdm(range(n_epochs), desc=type(model).__name__, disable=not model.verbose,
               leave=True)
    t_start = time.perf_counter()
    for e in bar:
        epoch = epoch_offset + e
        lr = learning_rate_at(model, epoch, max(n_epochs + epoch_offset, 1),
                              elapsed=time.perf_counter() - t_start)
        mom = momentum_at(model, epoch)
        t0 = time.perf_counter()
        run_epoch(trainer, X32, lr, mom, epoch)
        metrics = {"epoch": epoch + 1, "seconds": time.perf_counter() - t0,
                   "learning_rate": lr, "momentum": mom}
        if monitor_every and (epoch + 1) % monitor_every == 0:
            metrics.update(epoch_metrics(model, X_mon, X_val_mon, epoch, rng))
        if ais_every and X_val is not None and (epoch + 1) % ais_every == 0:
            from .ais import ais_log_partition

            res = ais_log_partition(model, n_runs=model.ais_runs, n_betas=model.ais_betas,
                                    data=X32, seed=trainer.rng)
            full = X_val if X_val_full is None else X_val_full
            metrics["val_loglik_ais"] = float(
                np.mean(-model.free_energy(full.astype(np.float64))) - res.log_z)
        if getattr(trainer, "swap_attempts", 0):
            metrics["pt_swap_rate"] = trainer.swap_accepts / trainer.swap_attempts
        model.history_.append(metrics)
        model.n_iter_ = epoch + 1
        bar.set_postfix({k: round(v, 3) for k, v in metrics.items()
                         if k not in ("epoch", "momentum")})
        stop = budget is not None and time.perf_counter() - t_start >= budget
        for cb in callbacks or ():
            if cb(model, epoch + 1, metrics):
                stop = True
        if model.early_stopping:
            score = next((metrics[k] for k in ("val_loglik_ais", "val_pseudo_loglik")
                          if k in metrics), None)
            if score is None and "val_recon_error" in metrics:
                score = -metrics["val_recon_error"]
            if score is not None:
                if score > best:
                    best, bad = score, 0
                    best_params = {k: v.copy() for k, v in model._param_arrays().items()}
                else:
                    bad += 1
                    if bad >= patience:
                        stop = True
        if stop:
            break
    bar.close()
    if model.early_stopping and best_params is not None:
        for name, arr in best_params.items():
            getattr(model, name + "_")[...] = arr
        model.best_score_ = best
    return trainer
