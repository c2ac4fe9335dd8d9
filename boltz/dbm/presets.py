"""Named training recipes of :class:`~boltz.dbm.DeepBoltzmannMachine`, shared by the
estimator, ``boltz dbm train --preset NAME`` and ``benchmarks/dbm_mnist.py``.

- ``"default"``: the estimator's constructor defaults (and the CLI's): short
  runs, ``1/t`` learning-rate decay, one fixed binarization, no centring.
- ``"mnist"``: the benchmark's tuned recipe for the 784-500-1000 DBM on MNIST,
  whose 2-hour run scored -83.90 nats (conservative -84.32; README): 100 CD-1
  pretraining epochs per RBM on fresh draws, centred joint training on fresh
  draws of the grey levels (``binarize="dynamic"``), 5 mean-field sweeps from
  the doubled bottom-up pass, one block-Gibbs sweep of 100 persistent chains
  per minibatch of 100, the learning rate 0.005 decaying linearly with the
  wall time to 1% over ``max_seconds`` (what was left of the 2 hours after the
  ~800 s of pretraining).

The values live here only: the estimator's signature defaults are
``PRESETS["default"]`` (a test checks it), the CLI's defaults come from the
preset it is given, and the benchmark's from ``PRESETS["mnist"]``.

Examples
--------
>>> from boltz.dbm.presets import get_preset
>>> get_preset("mnist")["mean_field_iters"]
5
"""

from __future__ import annotations

__all__ = ["PRESETS", "get_preset", "preset_names"]

_DEFAULT = {
    "n_hidden": (500, 1000),
    "learning_rate": 0.005,
    "n_epochs": 10,
    "batch_size": 100,
    "n_chains": 100,
    "gibbs_steps": 1,
    "mean_field_iters": 10,
    "mean_field_init": "bottom_up",
    "weight_decay": 2e-4,
    "momentum": 0.5,
    "lr_decay_steps": 20000.0,
    "lr_schedule": "inverse",
    "final_lr_fraction": 0.01,
    "max_seconds": None,
    "centering": False,
    "binarize": None,
    "pretrain_epochs": 10,
    "pretrain_learning_rate": 0.05,
    "dtype": "float32",
}

PRESETS = {
    "default": _DEFAULT,
    "mnist": {
        **_DEFAULT,
        "n_epochs": 1_000_000,            # the time budget ends training
        "mean_field_iters": 5,
        "lr_schedule": "linear_time",
        "max_seconds": 6400.0,            # 2 hours less ~800 s of pretraining
        "centering": True,
        "binarize": "dynamic",
        "pretrain_epochs": 100,
    },
}


def preset_names() -> list:
    """Names of the presets.

    Returns
    -------
    list of str

    Examples
    --------
    >>> preset_names()
    ['default', 'mnist']
    """
    return sorted(PRESETS)


def get_preset(name: str) -> dict:
    """A copy of the preset ``name``'s estimator parameters.

    Parameters
    ----------
    name : str
        One of :func:`preset_names`.

    Returns
    -------
    dict
        Keyword arguments of :class:`~boltz.dbm.DeepBoltzmannMachine`.

    Examples
    --------
    >>> get_preset("default")["lr_schedule"]
    'inverse'
    """
    if not isinstance(name, str) or name not in PRESETS:
        raise ValueError(f"preset must be one of {preset_names()}, got {name!r}")
    return dict(PRESETS[name])
