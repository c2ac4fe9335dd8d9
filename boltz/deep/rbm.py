"""RBM training and AIS on a torch device: the GPU path of :mod:`boltz.rbm`.

Nothing here is called directly in the usual workflow: a
:class:`~boltz.rbm.BernoulliRBM` built with ``device="cuda"`` (or ``"auto"``, or
any torch device) trains through :class:`TorchTrainer`, and
:func:`boltz.rbm.ais_log_partition` / :func:`boltz.rbm.evaluate_log_likelihood`
with ``device=`` anneal through :func:`anneal`. The math is the CPU path's
(see :mod:`boltz.rbm.training` and :mod:`boltz.rbm.ais`), written as torch
tensor operations:

- training: CD-k / PCD-k with centring, momentum, weight decay, a sparsity
  target and the ``up``/``down`` input multipliers of greedy DBM pretraining;
  float32 products, one fused ``addmm`` for the weight gradient;
- AIS: float32 products, log-weights accumulated in float64 (the softplus
  differences are taken in float64, so 14,500 small increments do not lose
  digits).

The model's NumPy arrays stay the source of truth between epochs: each epoch
uploads them (1.5 MB at 784 x 500) and writes them back, so metrics, callbacks,
early stopping and saving work exactly as on the CPU. Random numbers come from
a ``torch.Generator`` on the device, seeded from the model's seed: the same seed
on the same device gives the same model, but a GPU run and a CPU run draw
different random numbers.

Example
-------
>>> import numpy as np
>>> from boltz.rbm import BernoulliRBM
>>> X = (np.random.default_rng(0).random((200, 16)) < 0.3).astype(np.float32)
>>> rbm = BernoulliRBM(n_hidden=8, n_epochs=2, device="cpu-torch", seed=0).fit(X)
>>> rbm.W_.shape
(16, 8)
"""

from __future__ import annotations

import numpy as np
import torch

from ..rbm.training import Trainer
from ._utils import make_generator, resolve_device

__all__ = ["TorchTrainer", "anneal", "torch_device"]


def torch_device(device) -> torch.device:
    """The torch device named by a model's ``device`` (``"cpu-torch"`` is torch on the CPU)."""
    if device == "cpu-torch":
        return torch.device("cpu")
    dev = resolve_device(device)
    if dev is None:
        raise ValueError("device must name a torch device, got None")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} asks for CUDA, but torch sees no CUDA device")
    return dev


def _copy_to(a, device) -> torch.Tensor:
    """A float32 copy of ``a`` on ``device`` (never sharing memory with the array)."""
    return torch.tensor(np.asarray(a), dtype=torch.float32, device=device)


def _uniform_bernoulli(p: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """``h ~ Bernoulli(p)`` as float32 0/1."""
    return torch.bernoulli(p, generator=gen)


class TorchTrainer(Trainer):
    """:class:`~boltz.rbm.training.Trainer` whose minibatch updates run on a torch device.

    Validation, the initial persistent chains and the centring offsets come from
    the CPU trainer; the chains, velocities and offsets then live on the device.
    Supports ``method="cd"`` and ``"pcd"`` for :class:`~boltz.rbm.BernoulliRBM`.
    """

    def __init__(self, model, X32, seed=None, *, up: float = 1.0, down: float = 1.0,
                 device=None):
        if not getattr(model, "_supports_pt", False):
            raise ValueError(
                f"a torch device is implemented for BernoulliRBM, not {type(model).__name__}; "
                "use device=None (the CPU path)")
        if model.method == "pt":
            raise ValueError("method='pt' runs on the CPU only; use method='pcd' with a device")
        self.device = torch_device(model.device if device is None else device)
        super().__init__(model, X32, seed, up=up, down=down)
        dev = self.device
        self.gen = make_generator(self.rng, dev)
        self.t_vel = {k: torch.zeros(v.shape, dtype=torch.float32, device=dev)
                      for k, v in self.vel.items()}
        self.t_mu = _copy_to(self.mu, dev)
        self.t_lam = _copy_to(self.lam, dev)
        self.t_q = _copy_to(self.q, dev)
        self.t_chain_h = None if self.chain_h is None else _copy_to(self.chain_h, dev)
        self._X_host = None
        self._X_dev = None

    def _positive_phase_pool(self):
        return None  # the device runs both phases; no CPU worker thread

    def _data_on_device(self, X32):
        if self._X_host is not X32:
            self._X_dev = torch.from_numpy(np.ascontiguousarray(X32, np.float32)).to(self.device)
            self._X_host = X32
        return self._X_dev

    def _upload(self):
        m = self.model
        dev = self.device
        return (_copy_to(m.W_, dev), _copy_to(m.visible_bias_, dev),
                _copy_to(m.hidden_bias_, dev))

    def run_epoch(self, X32, lr: float, momentum: float, epoch: int):
        """One pass over ``X32`` in shuffled minibatches on the device; raises on divergence."""
        from ..rbm.model import DivergenceError

        m = self.model
        Xd = self._data_on_device(X32)
        W, a, c = self._upload()
        n = Xd.shape[0]
        order = torch.randperm(n, generator=self.gen, device=self.device)
        for start in range(0, n, self.batch_size):
            v = Xd[order[start:start + self.batch_size]]
            if self.binarize is not None:  # dynamic binarization: a fresh draw per minibatch
                v = _uniform_bernoulli(v, self.gen)
            self._step(v, W, a, c, lr, momentum)
        max_w = float(W.abs().max())
        finite = bool(torch.isfinite(a).all() and torch.isfinite(c).all())
        m.W_[...] = W.cpu().numpy()
        m.visible_bias_[...] = a.cpu().numpy()
        m.hidden_bias_[...] = c.cpu().numpy()
        self.lam[...] = self.t_lam.cpu().numpy()
        if not (max_w <= self.max_weight) or not finite:
            raise DivergenceError(
                f"training diverged in epoch {epoch + 1} (checked at the end of the epoch on "
                f"{self.device}): max |W| = {max_w:.4g} (max_weight={self.max_weight:g}), "
                f"biases finite: {finite}; lower learning_rate (now {lr:g}) or add weight_decay")

    def _hidden_prob(self, v, W, c):
        return torch.sigmoid(torch.addmm(c, v, W, alpha=self.up) if self.up != 1.0
                             else torch.addmm(c, v, W))

    def _step(self, v_pos, W, a, c, lr, momentum):
        """One update in place on ``W, a, c`` (same gradient as :meth:`Trainer.step`)."""
        gen = self.gen
        ph_pos = self._hidden_prob(v_pos, W, c)
        h = (_uniform_bernoulli(ph_pos, gen) if self.method == "cd" else self.t_chain_h)
        for _ in range(self.k):
            pv = torch.sigmoid(torch.addmm(a, h, W.t(), alpha=self.down))
            v_neg = _uniform_bernoulli(pv, gen)
            ph_neg = self._hidden_prob(v_neg, W, c)
            h = _uniform_bernoulli(ph_neg, gen)
        if self.method == "pcd":
            self.t_chain_h = h
        n_pos, n_neg = v_pos.shape[0], v_neg.shape[0]
        mean_hpos = ph_pos.mean(0)
        mean_hneg = ph_neg.mean(0)
        lam, mu = self.t_lam, self.t_mu
        if self.centering:
            lam.add_(mean_hpos - lam, alpha=0.01)
        grad_c = mean_hpos - mean_hneg
        y_pos = (ph_pos - lam) / n_pos
        if self.sparsity_target is not None and self.sparsity_cost > 0:
            self.t_q.mul_(0.9).add_(mean_hpos, alpha=0.1)
            pen = self.sparsity_cost * (self.t_q - self.sparsity_target)
            grad_c = grad_c - pen
            y_pos = y_pos - pen / n_pos
        # centred gradient <(v - mu)(h - lam)^T>_data - <...>_model as one product
        grad_W = torch.cat([v_pos - mu, v_neg - mu]).t() @ torch.cat(
            [y_pos, (lam - ph_neg) / n_neg])
        grad_a = v_pos.mean(0) - v_neg.mean(0)
        vW, va, vc = self.t_vel["W"], self.t_vel["visible_bias"], self.t_vel["hidden_bias"]
        if self.weight_decay:
            grad_W.sub_(W, alpha=self.weight_decay)
        vW.mul_(momentum).add_(grad_W, alpha=lr)
        W.add_(vW)
        va.mul_(momentum).add_(grad_a, alpha=lr)
        vc.mul_(momentum).add_(grad_c, alpha=lr)
        if self.centering:
            # centred-to-plain conversion (Melchior et al. 2016, Alg. 1), as on the CPU
            a.add_(va - vW @ lam)
            c.add_(vc - mu @ vW)
        else:
            a.add_(va)
            c.add_(vc)
        self.n_updates += 1


def _softplus64(x):
    # exact in float64: e^-40 is below the rounding unit of values above 40
    return torch.nn.functional.softplus(x, threshold=40.0)


def anneal(model, v, betas, base_bias, seed, device) -> np.ndarray:
    """AIS log-weights of the runs ``v`` annealed through ``betas`` on ``device``.

    Same transition and weights as the CPU path (:func:`boltz.rbm.ais._anneal`):
    with ``z = v W + c`` the increment is ``sum_j softplus(b z_j) - softplus(b' z_j)
    + (b - b') v (a - a_A)``, followed by ``h ~ sigmoid(b z)`` and
    ``v ~ sigmoid(b (W h + a) + (1 - b) a_A)``. Returns float64 NumPy log-weights.
    """
    if not getattr(model, "_supports_pt", False):
        raise ValueError(f"AIS on a torch device is implemented for BernoulliRBM, "
                         f"not {type(model).__name__}")
    dev = torch_device(device)
    gen = make_generator(seed, dev)
    W = torch.from_numpy(np.ascontiguousarray(model.W_, np.float32)).to(dev)
    c = torch.from_numpy(model.hidden_bias_.astype(np.float64)).to(dev)
    a = torch.from_numpy(model.visible_bias_.astype(np.float64)).to(dev)
    a_base = torch.from_numpy(np.asarray(base_bias, np.float64)).to(dev)
    d32 = (a - a_base).float()
    v = torch.from_numpy(np.ascontiguousarray(v, np.float32)).to(dev)
    logw = torch.zeros(v.shape[0], dtype=torch.float64, device=dev)
    betas = [float(b) for b in betas]
    steps = len(betas) - 1
    for k in range(1, steps + 1):
        b_prev, b = betas[k - 1], betas[k]
        z = (v @ W).double() + c
        logw += (_softplus64(b * z) - _softplus64(b_prev * z)).sum(1)
        logw += (b - b_prev) * (v @ d32).double()
        if k < steps:
            h = torch.bernoulli(torch.sigmoid(b * z).float(), generator=gen)
            pre = (h @ W.t()).double() * b + (b * a + (1.0 - b) * a_base)
            v = torch.bernoulli(torch.sigmoid(pre).float(), generator=gen)
    return logw.cpu().numpy()
