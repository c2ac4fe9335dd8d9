"""Named RBM recipes shared by the estimator, the CLI and the benchmark.

One place for the tuned settings, so that ``BernoulliRBM.from_preset(name)``,
``boltz rbm train --preset NAME`` and ``benchmarks/rbm_mnist.py`` cannot drift
apart. A preset is a dict of constructor arguments (plus ``"kind"``, the model
class); anything passed alongside a preset overrides it.

- ``"mnist-pcd"``: the quality recipe of ``benchmarks/rbm_mnist.py`` (500
  hidden units, centred PCD-1, no momentum, a fresh Bernoulli draw of MNIST's
  grey levels per minibatch, learning rate 0.02 decaying linearly to 1% of it
  over a 20-minute budget). It reached an AIS test log-likelihood of about
  -85.1 nats (README, issue #6).
- ``"mnist-speed"``: the speed comparison with scikit-learn's ``BernoulliRBM``
  (same algorithm: PCD-1, batch 100, learning rate 0.05, plain SGD, one epoch).

Examples
--------
>>> from boltz.rbm.presets import RBM_PRESETS, preset
>>> preset("mnist-pcd")["final_lr_fraction"]
0.01
>>> sorted(RBM_PRESETS)
['mnist-pcd', 'mnist-speed']
"""

from __future__ import annotations

import copy

__all__ = ["RBM_PRESETS", "preset", "preset_names"]

RBM_PRESETS: dict[str, dict] = {
    "mnist-pcd": {
        "kind": "bernoulli",
        "n_hidden": 500,
        "method": "pcd",
        "k": 1,
        "batch_size": 100,
        "learning_rate": 0.02,
        "momentum": 0.0,
        "centering": True,
        "binarize": "dynamic",
        "lr_schedule": "linear_time",
        "max_seconds": 1200.0,
        "n_epochs": 100000,
        "final_lr_fraction": 0.01,
        "weight_decay": 0.0,
        "monitor_every": 25,
        "monitor_size": 100,
    },
    "mnist-speed": {
        "kind": "bernoulli",
        "n_hidden": 500,
        "method": "pcd",
        "k": 1,
        "batch_size": 100,
        "learning_rate": 0.05,
        "momentum": 0.0,
        "n_epochs": 1,
        "monitor_every": 0,
    },
}


def preset_names() -> list[str]:
    """The names of the presets, sorted.

    Examples
    --------
    >>> preset_names()[0]
    'mnist-pcd'
    """
    return sorted(RBM_PRESETS)


def preset(name: str, **overrides) -> dict:
    """A copy of preset ``name`` with ``overrides`` applied.

    Parameters
    ----------
    name : str
        One of :func:`preset_names`.
    **overrides
        Constructor arguments replacing the preset's.

    Returns
    -------
    dict
        Constructor arguments plus ``"kind"``.

    Examples
    --------
    >>> preset("mnist-speed", n_hidden=100)["n_hidden"]
    100
    """
    if not isinstance(name, str) or name not in RBM_PRESETS:
        raise ValueError(f"preset must be one of {preset_names()}, got {name!r}")
    out = copy.deepcopy(RBM_PRESETS[name])
    out.update(overrides)
    return out
