"""Deep belief nets and deep Boltzmann machines.

- :class:`DeepBoltzmannMachine` (:mod:`boltz.dbm.model`): joint energy, layer
  conditionals, alternating odd/even block Gibbs, mean-field inference,
  ``fit`` (greedy pretraining with weight doubling + joint training), save/load;
  :meth:`~DeepBoltzmannMachine.from_preset` and :mod:`boltz.dbm.presets`, the
  named recipes shared with the CLI and the benchmark.
- :mod:`boltz.dbm.formulas`: the DBM's math, each formula once, over an array
  backend (:mod:`boltz.dbm.backend`: NumPy/numba, or torch on any device via
  ``device=``, e.g. ``"cpu-torch"`` or ``"cuda"``).
- :mod:`boltz.dbm.pretraining`: greedy layer-wise pretraining with weight doubling;
  :mod:`boltz.dbm.joint`: the joint-training epoch (mean field for the data
  statistics, persistent chains for the model's); :mod:`boltz.dbm.training`:
  its driver.
- :mod:`boltz.dbm.exact`: exact ``log Z`` for tiny models; :mod:`boltz.dbm.ais`:
  AIS; :mod:`boltz.dbm.evaluation`: the variational lower bound on ``log p(v)``.
- :class:`DeepBeliefNet` (:mod:`boltz.dbm.dbn`): a greedy stack of RBMs with
  ``fit``, ``transform`` and generative sampling.

Examples
--------
>>> import numpy as np
>>> from boltz.dbm import DeepBoltzmannMachine, exact_log_partition
>>> dbm = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 2))])
>>> round(exact_log_partition(dbm) / np.log(2))      # 7 free binary units
7
"""

from __future__ import annotations

import importlib

__all__ = [
    "DeepBoltzmannMachine",
    "DeepBeliefNet",
    "AISResult",
    "ais_log_partition",
    "evaluate_lower_bound",
    "exact_free_energy",
    "exact_log_likelihood",
    "exact_log_partition",
    "variational_lower_bound",
    "pretrain_dbm",
    "train_dbm",
    "TrainingDivergedError",
]

# Every name is imported on first use, so that ``import boltz.dbm.presets`` (the
# command line's help text) does not pull in the estimator's scikit-learn.
_LAZY = {
    "DeepBoltzmannMachine": "model",
    "DeepBeliefNet": "dbn",
    "AISResult": "evaluation",
    "ais_log_partition": "evaluation",
    "evaluate_lower_bound": "evaluation",
    "exact_free_energy": "evaluation",
    "exact_log_likelihood": "evaluation",
    "exact_log_partition": "evaluation",
    "variational_lower_bound": "evaluation",
    "pretrain_dbm": "training",
    "train_dbm": "training",
    "TrainingDivergedError": "training",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'boltz.dbm' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
