"""DBM joint training and AIS on a torch device: the GPU path of :mod:`boltz.dbm`.

Used through ``device=`` on :class:`~boltz.dbm.DeepBoltzmannMachine`,
:func:`boltz.dbm.training.train_dbm`, :func:`boltz.dbm.evaluation.ais_log_partition`
and :func:`boltz.dbm.evaluation.evaluate_lower_bound`. The math is the CPU
path's (Salakhutdinov & Hinton 2009, Algorithm 1; see :mod:`boltz.dbm.training`):

- the data-dependent statistics come from mean-field inference, here always
  ``mean_field_iters`` sweeps (the CPU path may stop earlier at ``tol=1e-4``;
  testing the change every sweep would stall the device);
- the model statistics from persistent chains, one alternating odd/even
  block-Gibbs sweep per ``gibbs_steps``, the odd layers Rao-Blackwellised;
- the same momentum, weight decay, centring and learning-rate schedule.

The model's NumPy arrays are written back after every epoch, so monitoring,
divergence checks and saving are shared with the CPU path. AIS keeps its
log-weights in float64. Random numbers come from a ``torch.Generator`` on the
device seeded from the run's seed: reproducible on one device, but not the
CPU path's numbers.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch

from ..dbm.training import _centred_biases, _uncentred_biases
from ._utils import make_generator
from .rbm import torch_device

__all__ = ["JointTrainer", "anneal"]


def _bernoulli(p, gen):
    return torch.bernoulli(p, generator=gen)


class JointTrainer:
    """Device copies of a DBM's parameters, velocities, offsets and persistent chains.

    ``chains`` and ``offsets`` are the NumPy arrays the CPU path starts from;
    :meth:`run_epoch` runs the minibatch updates of one epoch and
    :meth:`download` writes the parameters back into the model.
    """

    def __init__(self, model, X, chains, offsets, rng, device, binarize=None,
                 warm_start=False):
        self.device = dev = torch_device(device)
        self.model = model
        self.dtype = torch.float64 if model.weights_[0].dtype == np.float64 else torch.float32

        def up(a):  # a copy on every device (torch.from_numpy alone would share memory)
            return torch.tensor(np.asarray(a), dtype=self.dtype, device=dev)

        self.W = [up(w) for w in model.weights_]
        self.b = [up(x) for x in model.biases_]
        self.vel_W = [torch.zeros_like(w) for w in self.W]
        self.vel_b = [torch.zeros_like(x) for x in self.b]
        self.chains = [up(c) for c in chains]
        self.offsets = [up(o) for o in offsets]
        self.X = up(X)
        self.binarize = binarize  # "dynamic": X holds probabilities, each minibatch is drawn
        self.gen = make_generator(rng, dev)
        self.warm = None  # mean_field_init="persistent": each example's last means
        if warm_start:
            from ..dbm.training import WarmStarts

            n = self.X.shape[0]
            self.warm = WarmStarts(
                [torch.empty((n, k), dtype=self.dtype, device=dev) for k in model.layer_sizes_[1:]],
                torch.zeros(n, dtype=torch.bool, device=dev))

    # -- model math on the device -------------------------------------------
    def _input(self, states, l):
        W, b = self.W, self.b
        total = b[l]
        if l > 0:
            total = torch.addmm(total, states[l - 1], W[l - 1])
        if l + 1 < len(b):
            total = torch.addmm(total, states[l + 1], W[l].t())
        return total

    def bottom_up(self, v):
        """Hidden means of one bottom-up pass with doubled weights (all but the top layer)."""
        W, b = self.W, self.b
        mus = [v]
        for l in range(1, len(b)):
            scale = 2.0 if l < len(b) - 1 else 1.0
            mus.append(torch.sigmoid(torch.addmm(b[l], mus[l - 1], W[l - 1], alpha=scale)))
        return mus[1:]

    def mean_field(self, v, n_iter, init=None):
        """``[v, mu_1..mu_L]`` after ``n_iter`` odd/even sweeps from ``init`` (the hidden
        means; default the doubled bottom-up pass)."""
        L1 = len(self.b)
        mus = [v, *(self.bottom_up(v) if init is None else init)]
        for _ in range(n_iter):
            for parity in (1, 0):
                for l in range(1 if parity else 2, L1, 2):
                    mus[l] = torch.sigmoid(self._input(mus, l))
        return mus

    def _model_statistics(self, gibbs_steps):
        L1 = len(self.b)
        states = self.chains
        for _ in range(gibbs_steps):
            for parity in (1, 0):
                for l in range(parity, L1, 2):
                    states[l] = _bernoulli(torch.sigmoid(self._input(states, l)), self.gen)
        stats = list(states)
        for l in range(1, L1, 2):
            stats[l] = torch.sigmoid(self._input(states, l))  # E[odd layer | even layers]
        return stats

    # -- one epoch -----------------------------------------------------------
    def run_epoch(self, n_batches, batch_size, lr_at, step, *, momentum, weight_decay,
                  centering, offset_rate, mean_field_iters, gibbs_steps):
        """Minibatch updates of one epoch from update number ``step``; returns the next step
        number and the last learning rate."""
        W, b, off = self.W, self.b, self.offsets
        L1 = len(b)
        order = torch.randperm(self.X.shape[0], generator=self.gen, device=self.device)
        lr = None
        for i in range(n_batches):
            lr = lr_at(step)
            idx = order[i * batch_size:(i + 1) * batch_size]
            v = self.X[idx]
            if self.binarize is not None:
                v = _bernoulli(v, self.gen)
            if self.warm is None:
                data = self.mean_field(v, mean_field_iters)
            else:
                data = self.mean_field(v, mean_field_iters,
                                       self.warm.start(idx, partial(self.bottom_up, v)))
                self.warm.store(idx, data[1:])
            neg = self._model_statistics(gibbs_steps)
            n_pos, n_neg = v.shape[0], neg[0].shape[0]
            if centering:
                bc = _centred_biases(W, b, off)
            for l in range(L1 - 1):
                d_lo, d_hi = data[l] - off[l], data[l + 1] - off[l + 1]
                m_lo, m_hi = neg[l] - off[l], neg[l + 1] - off[l + 1]
                grad = torch.cat([d_lo, m_lo]).t() @ torch.cat([d_hi / n_pos, -m_hi / n_neg])
                grad.sub_(W[l], alpha=weight_decay)
                self.vel_W[l].mul_(momentum).add_(grad, alpha=lr)
            for l in range(L1):
                self.vel_b[l].mul_(momentum).add_(data[l].mean(0) - neg[l].mean(0), alpha=lr)
            for l in range(L1 - 1):
                W[l].add_(self.vel_W[l])
            if centering:
                bc = [x + dv for x, dv in zip(bc, self.vel_b, strict=True)]
                for dst, new in zip(b, _uncentred_biases(W, bc, off), strict=True):
                    dst.copy_(new)
                for l in range(1, L1):
                    off[l].mul_(1 - offset_rate).add_(data[l].mean(0), alpha=offset_rate)
            else:
                for l in range(L1):
                    b[l].add_(self.vel_b[l])
            step += 1
        return step, lr

    def download(self):
        """Write the parameters into the model's arrays; returns the chains as NumPy."""
        m = self.model
        for dst, src in zip(m.weights_, self.W, strict=True):
            dst[...] = src.cpu().numpy()
        for dst, src in zip(m.biases_, self.b, strict=True):
            dst[...] = src.cpu().numpy()
        return [c.cpu().numpy() for c in self.chains]


def anneal(model, betas, base, n_chains, seed, device, return_states=False):
    """DBM AIS on ``device``: the log-weights (float64 NumPy) of ``n_chains`` runs.

    Same path and transitions as :func:`boltz.dbm.evaluation.ais_log_partition`:
    the odd layers are summed out, the even layers sampled, base model
    ``E_base = -sum_l a_l . x_l`` with ``a = base``.
    """
    dev = torch_device(device)
    gen = make_generator(seed, dev)
    W = [torch.from_numpy(np.ascontiguousarray(w, np.float32)).to(dev) for w in model.weights_]
    b = [torch.from_numpy(np.asarray(x, np.float64)).to(dev) for x in model.biases_]
    a = [torch.from_numpy(np.asarray(x, np.float64)).to(dev) for x in base]
    L1 = len(b)
    even, odd = list(range(0, L1, 2)), list(range(1, L1, 2))
    states = [None] * L1
    for l in even:
        p = torch.sigmoid(a[l]).float().expand(n_chains, -1).contiguous()
        states[l] = torch.bernoulli(p, generator=gen)
    logw = torch.zeros(n_chains, dtype=torch.float64, device=dev)
    softplus = torch.nn.functional.softplus
    betas = [float(x) for x in betas]

    def odd_inputs():
        us = []
        for l in odd:
            u = states[l - 1] @ W[l - 1]
            if l + 1 < L1:
                u = u + states[l + 1] @ W[l].t()
            us.append(u.double() + b[l])
        return us

    def log_f(beta, xa, xb, us):
        out = (1.0 - beta) * xa + beta * xb
        for l, u in zip(odd, us, strict=True):
            out = out + softplus((1.0 - beta) * a[l] + beta * u, threshold=40.0).sum(1)
        return out

    for k in range(1, len(betas)):
        b_prev, b_next = betas[k - 1], betas[k]
        xa = sum(states[l].double() @ a[l] for l in even)
        xb = sum(states[l].double() @ b[l] for l in even)
        us = odd_inputs()
        logw += log_f(b_next, xa, xb, us) - log_f(b_prev, xa, xb, us)
        if k == len(betas) - 1:
            break
        for l, u in zip(odd, us, strict=True):
            states[l] = torch.bernoulli(
                torch.sigmoid((1.0 - b_next) * a[l] + b_next * u).float(), generator=gen)
        for l in even:
            inp = states[l + 1] @ W[l].t() if l + 1 < L1 else 0.0
            if l > 0:
                inp = inp + states[l - 1] @ W[l - 1]
            pre = b_next * inp.double() + (b_next * b[l] + (1.0 - b_next) * a[l])
            states[l] = torch.bernoulli(torch.sigmoid(pre).float(), generator=gen)
    logw = logw.cpu().numpy()
    if return_states:
        return logw, [None if s is None else s.cpu().numpy() for s in states]
    return logw
