"""Torch lattice samplers for any device: checkerboard Metropolis and heat bath.

The same chains as :mod:`boltz.samplers.lattice` (``p(s) ∝ exp(-beta_c H(s))``,
``H = -J sum_<ij> s_i s_j - sum_i h_i s_i``) run as fused tensor operations on
a CPU or a GPU. A half-sweep updates every site of one checkerboard colour at
once: neighbour sums are four ``torch.roll`` of the lattice (masked at open
boundaries), then a few element-wise ops select the colour's moves
(``torch.compile`` fuses them into one kernel per half-sweep when ``compile=True``).

- :func:`torch_checkerboard`: Metropolis or heat bath, per-chain ``beta``, site
  fields, open or periodic boundaries (bipartite lattices: even periodic sides).
- :func:`~boltz.samplers.torch_multispin.torch_multispin`: 64 replicas per
  ``int64`` word.

Random numbers come from one ``torch.Generator`` on the device, seeded from
``seed``: the same seed gives the same chain on the same device (CPU and CUDA
generators differ, so chains differ between devices). Uniforms are float32
(24 random bits) by default: a move probability ``p`` is realised as
``ceil(p 2**24) / 2**24``, exact to ``6e-8``; ``dtype="float64"`` gives 53 bits.

torch is imported only when one of these samplers is built.

Examples
--------
>>> from boltz.ising import IsingLattice
>>> from boltz.samplers.torch_lattice import torch_checkerboard
>>> alg = torch_checkerboard(IsingLattice(8, beta=0.4), "gibbs", device="cpu")
>>> state = alg.step(alg.init(n_chains=4, seed=0), 10)
>>> alg.spins(state).shape
(4, 8, 8)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validation import check_choice, check_rng, check_torch_device
from ._base import ChainState, check_betas, check_sweeps, initial_spins

__all__ = ["torch_checkerboard", "TorchLatticeAlgorithm", "resolve_device", "colour_tables",
           "state_to_numpy"]


class TorchLatticeAlgorithm(NamedTuple):
    """``init``/``step``/``spins`` as :class:`~boltz.samplers.SamplingAlgorithm`, plus
    ``measure(state) -> (H, M)``: each chain's energy and summed spin (numpy float64,
    computed on the device) and ``restore(chain_state)``: a numpy state (from
    :func:`state_to_numpy` or :func:`~boltz.samplers.load_state`) back on the device."""

    name: str
    init: object
    step: object
    spins: object
    measure: object
    restore: object
    device: object


def resolve_device(device):
    """A ``torch.device`` from a name (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"auto"``).

    The check is :func:`boltz._validation.check_torch_device`'s: ``"meta"``,
    ``"mps"`` and other devices boltz does not run on raise ``ValueError``.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    return check_torch_device(device)


def _check_dtype(dtype):
    import torch

    name = check_choice(str(dtype).replace("torch.", ""), "dtype", ("float32", "float64"))
    return torch.float32 if name == "float32" else torch.float64


def colour_tables(model):
    """The checkerboard masks and the neighbour directions of ``model``.

    Returns ``(masks, directions)``: ``masks`` ``(2, Lx, Ly)`` bool (colour 0: ``x + y``
    even); ``directions`` a list of ``(shift, axis, valid)`` with ``valid`` ``(Lx, Ly)``
    int8 (0 where an open boundary has no neighbour) or None on a periodic lattice.
    Raises ValueError on a periodic lattice with an odd side (not two-colourable).

    Examples
    --------
    >>> from boltz.ising import IsingLattice
    >>> masks, directions = colour_tables(IsingLattice(4))
    >>> masks.shape, len(directions)
    ((2, 4, 4), 4)
    """
    Lx, Ly = model.grid_shape
    periodic = bool(model.periodic)
    if periodic and (Ly % 2 or (Lx > 1 and Lx % 2)):
        raise ValueError(f"the torch checkerboard needs even sides on a periodic lattice, "
                         f"got {Lx}x{Ly}")
    x, y = np.meshgrid(np.arange(Lx), np.arange(Ly), indexing="ij")
    masks = np.stack([(x + y) % 2 == 0, (x + y) % 2 == 1])
    directions = []
    axes = [(1, y, Ly)] + ([(0, x, Lx)] if Lx > 1 else [])
    for axis, coord, size in axes:
        for shift in (1, -1):     # roll by +1 brings the neighbour at coord - 1
            valid = None
            if not periodic:
                valid = ((coord - shift >= 0) & (coord - shift < size)).astype(np.int8)
            directions.append((shift, axis, valid))
    return masks, directions


def _half_sweep(s, u, mask, valid, beta, J, h, gibbs: bool, directions, table):
    """One colour of ``s`` (C, Lx, Ly) int8: ``u`` (C, Lx, Ly) uniforms, ``mask`` (Lx, Ly)
    bool, ``beta`` (C, 1, 1), ``valid`` the open-boundary masks or None.

    Metropolis flips with ``min(1, exp(-beta dE))``, ``dE = 2 s (J t + h)``; the heat
    bath sets ``+1`` with ``sigmoid(2 beta (J t + h))``. With a uniform field the
    probabilities come from ``table`` (C, 18), indexed by ``9 (s + 1) / 2 + t + 4``
    (one gather instead of the arithmetic). Pure tensor code (``torch.compile`` fuses it).
    """
    import torch

    t = None
    for k, (shift, axis) in enumerate(directions):
        nb = torch.roll(s, shift, dims=axis + 1)
        if valid is not None:
            nb = nb * valid[k]
        t = nb if t is None else t + nb
    if table is not None:
        idx = (t + 4) if gibbs else (((s + 1) >> 1) * 9 + t + 4)
        p = torch.take_along_dim(table, idx.reshape(idx.shape[0], -1).long(), dim=1)
        p = p.reshape(s.shape)
    else:
        local = J * t.to(u.dtype) + h
        p = (torch.sigmoid(2.0 * beta * local) if gibbs
             else torch.exp(-beta * 2.0 * s.to(u.dtype) * local))
    if gibbs:
        return torch.where(mask, torch.where(u < p, 1, -1).to(s.dtype), s)
    return torch.where(mask & (u < p), -s, s)


def _probability_table(betas, J, h, gibbs, device, dtype):
    """``(C, 18)`` move probabilities for spin ``s`` and neighbour sum ``t`` (uniform field)."""
    import torch

    t = np.arange(-4.0, 5.0)
    s = np.array([-1.0, 1.0])[:, None]
    b = np.asarray(betas, dtype=np.float64)[:, None, None]
    local = J * t + h
    if gibbs:
        p = np.broadcast_to(0.5 * (1.0 + np.tanh(b * local)), (b.shape[0], 2, 9))
    else:
        p = np.exp(np.minimum(0.0, -2.0 * b * s * local))
    return torch.as_tensor(np.ascontiguousarray(p).reshape(b.shape[0], 18), device=device,
                           dtype=dtype)


def _uniforms(shape, gen, device, dtype):
    """Uniforms for one half-sweep: one per pair of neighbouring columns, repeated over
    the pair (each pair holds exactly one site of the colour being updated), so half
    the random numbers are drawn."""
    import torch

    C, Lx, Ly = shape
    u = torch.rand((C, Lx, (Ly + 1) // 2), generator=gen, device=device, dtype=dtype)
    return u.repeat_interleave(2, dim=2)[:, :, :Ly]


def _bond_tensors(model, device):
    import torch

    i, j = model.bonds()
    return torch.as_tensor(i, device=device), torch.as_tensor(j, device=device)


def _generator(rng, device):
    import torch

    gen = torch.Generator(device=device)
    gen.manual_seed(int(rng.integers(0, 2 ** 63 - 1)))
    return gen


def check_torch_state(state, algorithm, shape, dtype, device, spin_values=True):
    """Check a torch sampler's state before a sweep: ``betas`` (float64, finite, >= 0),
    ``spins`` (a ``dtype`` tensor of ``shape(n_chains)`` on ``device``, values ±1 unless
    packed) and a ``torch.Generator`` in ``info["generator"]``.

    Parameters
    ----------
    state : ChainState
        The state passed to ``step``.
    algorithm : str
        The sampler's name, for messages.
    shape : callable
        ``n_chains -> `` expected spins shape.
    dtype : torch.dtype
        Expected spins dtype.
    device : torch.device
        The sampler's device.
    spin_values : bool
        Check that the spins are ±1.

    Returns
    -------
    ChainState
        ``state`` itself.

    Examples
    --------
    >>> from boltz.ising import IsingLattice
    >>> alg = torch_checkerboard(IsingLattice(4, beta=0.3))
    >>> alg.step(alg.init(n_chains=2, seed=0), 0).n_chains
    2
    """
    import torch

    if not isinstance(state, ChainState) or not isinstance(state.info, dict):
        raise TypeError(f"state must be a ChainState made by {algorithm}.init, "
                        f"got {type(state).__name__}")
    betas = state.betas
    if not isinstance(betas, np.ndarray) or betas.dtype != np.float64 or betas.ndim != 1 \
            or betas.shape[0] == 0:
        raise TypeError("state.betas must be a non-empty 1-D float64 numpy array")
    if not np.all(np.isfinite(betas)) or np.any(betas < 0):
        raise ValueError("state.betas must be finite and >= 0")
    s = state.spins
    expected = tuple(shape(betas.shape[0]))
    if not isinstance(s, torch.Tensor) or s.dtype != dtype:
        got = f"{s.dtype} tensor" if isinstance(s, torch.Tensor) else type(s).__name__
        raise TypeError(f"state.spins must be a torch {dtype} tensor (use the algorithm's "
                        f"restore for a numpy state), got {got}")
    if tuple(s.shape) != expected or s.device.type != torch.device(device).type:
        raise ValueError(f"state.spins must have shape {expected} on {device}, "
                         f"got {tuple(s.shape)} on {s.device} (a state from another sampler?)")
    if not s.is_contiguous():
        raise ValueError("state.spins must be contiguous")
    if spin_values and bool(((s != 1) & (s != -1)).any()):
        raise ValueError("state.spins must hold -1 or +1")
    if not isinstance(state.info.get("generator"), torch.Generator):
        raise TypeError("state.info['generator'] must be a torch.Generator")
    return state


def state_to_numpy(state) -> ChainState:
    """A torch sampler's state as numpy arrays (spins, generator state, betas), e.g. to
    save with :func:`~boltz.samplers.save_state` (the algorithm's ``restore`` takes it back).

    Parameters
    ----------
    state : ChainState
        A state of :func:`torch_checkerboard` or
        :func:`~boltz.samplers.torch_multispin.torch_multispin`.

    Returns
    -------
    ChainState
        ``spins`` (numpy), ``streams`` (the generator state, uint8), ``betas``, numeric info.

    Examples
    --------
    >>> from boltz.ising import IsingLattice
    >>> alg = torch_checkerboard(IsingLattice(4, beta=0.3))
    >>> state_to_numpy(alg.init(n_chains=2, seed=0)).streams.dtype
    dtype('uint8')
    """
    info = {k: v for k, v in state.info.items()
            if isinstance(v, (int, float, np.ndarray)) and not isinstance(v, bool)}
    gen = state.info["generator"]
    return ChainState(state.spins.cpu().numpy().copy(), gen.get_state().numpy().copy(),
                      np.array(state.betas, dtype=np.float64), info)


def torch_checkerboard(model, kind: str = "metropolis", device="cpu", dtype="float32",
                       compile: bool = False) -> TorchLatticeAlgorithm:
    """Checkerboard Metropolis or heat bath on a torch device.

    Parameters
    ----------
    model : IsingLattice
        2D lattice or chain; periodic lattices need even sides.
    kind : {"metropolis", "gibbs"}
        The update.
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"auto"`` (CUDA when available).
    dtype : {"float32", "float64"}
        Precision of the uniforms and acceptance probabilities.
    compile : bool
        Wrap the half-sweep in ``torch.compile`` (fused kernels on CUDA).

    Returns
    -------
    TorchLatticeAlgorithm
        ``init(n_chains, seed, initial, beta)``, ``step(state, n_sweeps)``, ``spins(state)``
        (numpy int8 ``(n_chains, Lx, Ly)``), ``measure(state)``, ``restore(numpy_state)``.

    Examples
    --------
    >>> from boltz.ising import IsingLattice
    >>> alg = torch_checkerboard(IsingLattice(4, beta=0.3))
    >>> H, M = alg.measure(alg.step(alg.init(n_chains=2, seed=1), 5))
    >>> H.shape, M.shape
    ((2,), (2,))
    """
    import torch

    kind = check_choice(kind, "kind", ("metropolis", "gibbs"))
    dev = resolve_device(device)
    fdtype = _check_dtype(dtype)
    if not isinstance(compile, bool):
        raise TypeError(f"compile must be True or False, got {compile!r}")
    masks_np, dirs = colour_tables(model)
    masks = torch.as_tensor(masks_np, device=dev)
    directions = tuple((shift, axis) for shift, axis, _ in dirs)
    valid = None if dirs[0][2] is None else torch.as_tensor(
        np.stack([v for _, _, v in dirs]), device=dev)
    site_shape = tuple(model.grid_shape)
    n_sites = site_shape[0] * site_shape[1]
    J = float(model.J)
    field = np.asarray(model.field, dtype=np.float64)
    h_all = torch.as_tensor(field, device=dev, dtype=torch.float64).reshape(-1)
    uniform_h = bool(np.all(field == field.flat[0]))
    h = float(field.flat[0]) if uniform_h else torch.as_tensor(field, device=dev, dtype=fdtype)
    bond_i, bond_j = _bond_tensors(model, dev)
    gibbs = kind == "gibbs"
    half = torch.compile(_half_sweep, dynamic=False) if compile else _half_sweep

    def device_state(spins, betas, gen):
        s = torch.as_tensor(np.asarray(spins, dtype=np.int8).reshape(-1, *site_shape),
                            device=dev).contiguous()
        beta_t = torch.as_tensor(betas, device=dev, dtype=fdtype)[:, None, None]
        table = (_probability_table(betas, J, h, gibbs, dev, fdtype) if uniform_h else None)
        return ChainState(s, None, betas, {"generator": gen, "beta_t": beta_t, "table": table})

    def init(n_chains=1, seed=None, initial="random", beta=None):
        rng = check_rng(seed)
        spins = initial_spins(initial, n_chains, site_shape, rng)
        betas = check_betas(model.beta if beta is None else beta, spins.shape[0])
        return device_state(spins, betas, _generator(rng, dev))

    def step(state, n_sweeps=1):
        check_torch_state(state, f"torch_{kind}", lambda c: (c, *site_shape), torch.int8, dev)
        C = state.betas.shape[0]
        beta_t = state.info.get("beta_t")
        if not isinstance(beta_t, torch.Tensor) or tuple(beta_t.shape) != (C, 1, 1):
            raise ValueError(f"state.info['beta_t'] must be a ({C}, 1, 1) tensor")
        table = state.info.get("table")
        if uniform_h and (not isinstance(table, torch.Tensor) or tuple(table.shape) != (C, 18)):
            raise ValueError(f"state.info['table'] must be a ({C}, 18) tensor")
        n_sweeps = check_sweeps(n_sweeps)
        gen, beta, table = state.info["generator"], state.info["beta_t"], state.info["table"]
        s = state.spins
        for _ in range(n_sweeps):
            for colour in range(2):
                u = _uniforms(s.shape, gen, dev, fdtype)
                s = half(s, u, masks[colour], valid, beta, J, h, gibbs, directions, table)
        state.spins = s
        return state

    def spins(state):
        return state.spins.cpu().numpy()

    def measure(state):
        s = state.spins.reshape(state.spins.shape[0], n_sites)
        bonds = (s[:, bond_i] * s[:, bond_j]).sum(dim=1, dtype=torch.float64)
        mag = s.sum(dim=1, dtype=torch.float64)
        energy = -J * bonds - (s.to(torch.float64) * h_all).sum(dim=1)
        return energy.cpu().numpy(), mag.cpu().numpy()

    def restore(np_state):
        gen = torch.Generator(device=dev)
        gen.set_state(torch.as_tensor(np.asarray(np_state.streams, dtype=np.uint8)))
        return device_state(np_state.spins, np.asarray(np_state.betas, dtype=np.float64), gen)

    return TorchLatticeAlgorithm(f"torch_{kind}", init, step, spins, measure, restore, dev)
