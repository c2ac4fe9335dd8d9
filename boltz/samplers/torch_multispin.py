"""Bit-packed multi-spin checkerboard Metropolis on a torch device: 64 replicas per ``int64``.

The torch twin of :mod:`boltz.samplers.multispin`: bit ``b`` of word ``[g, x, y]``
is the spin (1 = +1) of replica ``64 g + b`` (periodic 2D lattice, even sides,
``h = 0``). A half-sweep computes, with bit operations on whole words, which
lanes of the colour's sites have 0, 1 or >= 2 unsatisfied bonds; lanes with
>= 2 flip, the others accept with ``p1 = exp(-4 beta |J|)`` or ``p2 = p1**2``.

Each lane draws its own uniform ``U = 0.u1 u2 ...`` from bit ``b`` of successive
random words and compares it with ``p`` digit by digit (53 digits, exact like
the CPU kernel). The first digits run on every word of the colour; then only the
few words with an undecided lane are kept (a gather), so a half-sweep costs about
``dense_digits`` random words per site plus a small tail.

Examples
--------
>>> from boltz.ising import IsingLattice
>>> from boltz.samplers.torch_multispin import torch_multispin
>>> alg = torch_multispin(IsingLattice(8, beta=0.4))
>>> alg.spins(alg.step(alg.init(n_chains=64, seed=0), 3)).shape
(64, 8, 8)
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_positive_int, check_rng
from ._base import ChainState, check_betas, check_sweeps, initial_spins
from .multispin import _probability_bits, multispin_supported, pack_spins, unpack_spins
from .torch_lattice import (
    TorchLatticeAlgorithm,
    _generator,
    check_torch_state,
    resolve_device,
)

__all__ = ["torch_multispin"]

_DIGITS = 53
_INT64_MIN = -(2 ** 63)
_INT64_MAX = 2 ** 63 - 1


def _digit_masks(betas_per_group, J, device):
    """``(53, G, 1)`` int64 masks (0 or -1) of the binary digits of ``p1`` and ``p2``,
    most significant first."""
    import torch

    rows = []
    for b in betas_per_group:
        p1 = int(_probability_bits(math.exp(-4.0 * b * abs(J))))
        p2 = int(_probability_bits(math.exp(-8.0 * b * abs(J))))
        rows.append([[-((p1 >> d) & 1) for d in range(_DIGITS - 1, -1, -1)],
                     [-((p2 >> d) & 1) for d in range(_DIGITS - 1, -1, -1)]])
    arr = np.asarray(rows, dtype=np.int64)                  # (G, 2, 53)
    t = torch.as_tensor(arr, device=device).permute(1, 2, 0)  # (2, 53, G)
    return t[0][:, :, None].contiguous(), t[1][:, :, None].contiguous()


def _bond_classes(w, invert):
    """Lanes with >= 2, exactly 1 and 0 unsatisfied bonds (bit-sliced count)."""
    import torch

    a = [(w ^ torch.roll(w, sh, dims=ax)) ^ invert for sh, ax in ((1, 1), (-1, 1), (1, 2),
                                                                   (-1, 2))]
    ge2 = (a[0] & a[1]) | (a[2] & a[3]) | ((a[0] ^ a[1]) & (a[2] ^ a[3]))
    anyb = a[0] | a[1] | a[2] | a[3]
    return ge2, anyb & ~ge2, ~anyb


def _accept(k1, k0, b1, b2, gen, dense_digits):
    """Per-lane acceptance: lanes of ``k1`` with ``p1``, of ``k0`` with ``p2``.

    ``k1``, ``k0``: ``(G, n)`` int64; ``b1``, ``b2``: ``(53, G, 1)`` digit masks.
    """
    import torch

    G, n = k1.shape
    dev = k1.device
    accept = torch.zeros_like(k1)
    undecided = k1 | k0
    for d in range(min(dense_digits, _DIGITS)):
        r = torch.randint(_INT64_MIN, _INT64_MAX, (G, n), generator=gen, device=dev,
                          dtype=torch.int64)
        pb = (k1 & b1[d]) | (k0 & b2[d])
        accept |= undecided & pb & ~r            # u_d = 0 < p_d = 1: U < p
        undecided &= ~(pb ^ r)                   # u_d == p_d: still undecided
    if dense_digits >= _DIGITS:
        return accept
    # the rare words with an undecided lane: continue on a compact list of them
    pos = torch.nonzero(undecided.reshape(-1)).reshape(-1)
    if pos.numel() == 0:
        return accept
    group = torch.div(pos, n, rounding_mode="floor")
    und = undecided.reshape(-1)[pos]
    k1s, k0s = k1.reshape(-1)[pos], k0.reshape(-1)[pos]
    acc = torch.zeros_like(und)
    for d in range(dense_digits, _DIGITS):
        r = torch.randint(_INT64_MIN, _INT64_MAX, und.shape, generator=gen, device=dev,
                          dtype=torch.int64)
        pb = (k1s & b1[d, group, 0]) | (k0s & b2[d, group, 0])
        acc |= und & pb & ~r
        und &= ~(pb ^ r)
        if d % 4 == 3 and not bool(und.any()):
            break
    flat = accept.reshape(-1)
    flat[pos] = flat[pos] | acc
    return accept


def _lane_counts(x):
    """Per lane of ``x`` (G, Lx, Ly) int64: the number of set bits over the lattice, (G, 64)."""
    import torch

    out = torch.empty((x.shape[0], 64), dtype=torch.int64, device=x.device)
    for b in range(64):
        out[:, b] = ((x >> b) & 1).sum(dim=(1, 2))
    return out


def torch_multispin(model, device="cpu", dense_digits: int = 12) -> TorchLatticeAlgorithm:
    """Bit-packed checkerboard Metropolis, 64 replicas per ``int64`` word, on a torch device.

    Parameters
    ----------
    model : IsingLattice
        Periodic 2D lattice with even sides and ``h = 0``.
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"auto"``, ...
    dense_digits : int
        Acceptance digits drawn for every word before the undecided words are
        gathered (a speed knob; the result is exact either way).

    Returns
    -------
    TorchLatticeAlgorithm
        ``init(n_chains=64, seed, initial, beta)`` (one ``beta`` per group of 64),
        ``step``, ``spins`` (numpy int8 ``(n_chains, Lx, Ly)``), ``measure`` (energy and
        summed spin per replica), ``restore``.

    Examples
    --------
    >>> from boltz.ising import IsingLattice
    >>> alg = torch_multispin(IsingLattice(4, beta=0.3))
    >>> H, M = alg.measure(alg.init(n_chains=64, seed=0, initial="up"))
    >>> float(H[0]), float(M[0])
    (-32.0, 16.0)
    """
    import torch

    reason = multispin_supported(model)
    if reason is not None:
        raise ValueError(reason)
    dense_digits = check_positive_int(dense_digits, "dense_digits")
    dev = resolve_device(device)
    site_shape = tuple(model.grid_shape)
    Lx, Ly = site_shape
    J = float(model.J)
    invert = -1 if J < 0 else 0
    x, y = np.meshgrid(np.arange(Lx), np.arange(Ly), indexing="ij")
    colour_idx = [torch.as_tensor(np.flatnonzero((x + y) % 2 == c), device=dev) for c in (0, 1)]

    def device_state(words, betas, n_chains, gen):
        w = torch.as_tensor(np.ascontiguousarray(words).view(np.int64), device=dev).contiguous()
        group_betas = betas[::64]
        b1, b2 = _digit_masks(group_betas, J, dev)
        return ChainState(w, None, betas, {"generator": gen, "digits": (b1, b2),
                                           "n_replicas": n_chains})

    def init(n_chains=64, seed=None, initial="random", beta=None):
        rng = check_rng(seed)
        n = check_positive_int(n_chains, "n_chains")
        groups = -(-n // 64)
        betas = check_betas(model.beta if beta is None else beta, n)
        for g in range(groups):
            if np.any(betas[64 * g:64 * (g + 1)] != betas[64 * g]):
                raise ValueError("torch_multispin needs one beta per group of 64 chains")
        gen = _generator(rng, dev)
        if isinstance(initial, str) and initial in ("random", "up", "down"):
            # built on the device: a large lattice never passes through host memory
            if initial == "random":
                words = torch.randint(_INT64_MIN, _INT64_MAX, (groups, Lx, Ly), generator=gen,
                                      device=dev, dtype=torch.int64)
            else:
                words = torch.full((groups, Lx, Ly), -1 if initial == "up" else 0,
                                   dtype=torch.int64, device=dev)
            state = device_state(np.empty((0,), dtype=np.int64), betas, n, gen)
            state.spins = words
            return state
        spins = initial_spins(initial, n, site_shape, rng)
        if groups * 64 > n:  # idle lanes evolve too; start them random
            spins = np.concatenate([spins, initial_spins("random", groups * 64 - n,
                                                         site_shape, rng)])
        return device_state(pack_spins(spins), betas, n, gen)

    def step(state, n_sweeps=1):
        check_torch_state(state, "torch_multispin", lambda c: (-(-c // 64), Lx, Ly),
                          torch.int64, dev, spin_values=False)
        G = state.spins.shape[0]
        digits = state.info.get("digits")
        if (not isinstance(digits, tuple) or len(digits) != 2
                or any(not isinstance(d, torch.Tensor) or tuple(d.shape) != (_DIGITS, G, 1)
                       for d in digits)):
            raise ValueError(f"state.info['digits'] must be two ({_DIGITS}, {G}, 1) tensors")
        n_rep = state.info.get("n_replicas")
        if not isinstance(n_rep, int) or not 0 < n_rep <= 64 * G:
            raise ValueError(f"state.info['n_replicas'] must be an integer in [1, {64 * G}]")
        n_sweeps = check_sweeps(n_sweeps)
        gen = state.info["generator"]
        b1, b2 = state.info["digits"]
        w = state.spins
        G = w.shape[0]
        for _ in range(n_sweeps):
            for idx in colour_idx:
                ge2, k1, k0 = _bond_classes(w, invert)
                flat = w.reshape(G, -1)
                k1c, k0c = k1.reshape(G, -1)[:, idx], k0.reshape(G, -1)[:, idx]
                acc = _accept(k1c, k0c, b1, b2, gen, dense_digits)
                flat[:, idx] = flat[:, idx] ^ (ge2.reshape(G, -1)[:, idx] | acc)
        return state

    def spins(state):
        words = state.spins.cpu().numpy().view(np.uint64)
        return unpack_spins(words, state.info["n_replicas"])

    def measure(state):
        w = state.spins
        n = state.info["n_replicas"]
        anti = (_lane_counts(w ^ torch.roll(w, 1, dims=1))
                + _lane_counts(w ^ torch.roll(w, 1, dims=2)))
        up = _lane_counts(w)
        anti = anti.reshape(-1)[:n].to(torch.float64).cpu().numpy()
        up = up.reshape(-1)[:n].to(torch.float64).cpu().numpy()
        n_sites = Lx * Ly
        return -J * (2 * n_sites - 2.0 * anti), 2.0 * up - n_sites

    def restore(np_state):
        gen = torch.Generator(device=dev)
        gen.set_state(torch.as_tensor(np.asarray(np_state.streams, dtype=np.uint8)))
        betas = np.asarray(np_state.betas, dtype=np.float64)
        return device_state(np.asarray(np_state.spins), betas, betas.shape[0], gen)

    return TorchLatticeAlgorithm("torch_multispin", init, step, spins, measure, restore, dev)
