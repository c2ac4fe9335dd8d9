"""Bit-for-bit fingerprints of the NumPy DBM path on fixed seeds (issue #17).

The hashes in ``FINGERPRINTS`` were computed from the PRE-REFACTOR code (commit
492f3cc, before the DBM math moved beneath one formula with NumPy and torch
backends) by running this file as a script (``python tests/test_dbm_fingerprints.py``).
The refactored code must reproduce every one of them exactly: same seed, same
pretrained and jointly trained weights, AIS log-weights, mean-field means,
Gibbs states and evaluation figures, to the last bit.

The hashes are of array bytes, so they depend on the numerical platform
(NumPy's generator, BLAS, numba's SIMD route). ``PLATFORM`` fingerprints a few
such primitives on their own; where it differs the test is skipped (the
platform, not the DBM code, would be what changed).
"""

from __future__ import annotations

import hashlib
import sys

import numpy as np
import pytest

#: sha256 of the platform primitives used by the DBM path (see _platform()).
PLATFORM = "9cee83e51b6d160a59b76129adb82972a924d1b4be0e1f8e88ea060e8fa0ee5a"

#: sha256 of each case"s arrays, computed before the refactor (see module docstring).
FINGERPRINTS: dict = {
    "ais": "f3f704e24f8b640d0342bb5d9711511780628f199e26b3d01cba0361d27aa63c",
    "ais_f64": "d1aa3146df11738a2a3dfa68e5202b27977315f961e91bd4c96a3b17f6d82756",
    "evaluate": "21931eeed1397ae5c7955a82cfa030b34f462069035d918523d17dfc31b419db",
    "exact": "2bff999c36a22a6d3b51c391c2b670cff004fc71407a31ea20c2ee98b52331f3",
    "fit_default": "076974cff23180c879289815406b10047d5f6691e2be1e838526bd2a1b330325",
    "gibbs": "6a57eca311187179479fde96fe94b05a99ea595d50116000dbab1eb4301cdd4b",
    "joint_centred": "866694c462389e6c73fd79adb433d467a25b3d0f22f896afb2d75294e07dd144",
    "joint_dynamic_f64": "8c1909342ac06b705e1cefe2b106ca0ea8646aab58d7e9f8c670a9a863712313",
    "mean_field": "431ad9533089505748df3dc39cebbe881117e24c390654da09bd80faeb000319",
    "pretrain": "0cab7ab288ca970de8d6f479f8b95ef48e7b3a052ee71277f31f2f20fb2d51b4",
    "pretrain_dynamic": "791aa5c2821352614ed6813f9434687ff080050c0f6d8316a2f533aed5b44aec",
}


def digest(*arrays) -> str:
    """sha256 over the raw bytes (and dtype/shape) of the given arrays, in order."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _platform():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((50, 30)).astype(np.float32)
    b = rng.standard_normal((30, 40)).astype(np.float32)
    from boltz.backend._kernels import logistic

    return digest(a @ b, logistic(a @ b), rng.random((7, 5), dtype=np.float32),
                  a.astype(np.float64) @ b.astype(np.float64))


def _data(n=120, d=12, seed=0):
    rng = np.random.default_rng(seed)
    proto = (rng.random((3, d)) < 0.5).astype(np.float32)
    x = proto[rng.integers(0, 3, n)]
    flip = rng.random(x.shape) < 0.1
    grey = np.clip(np.abs(x - 0.15), 0, 1).astype(np.float32)
    return np.abs(x - flip).astype(np.float32), grey


def _model(dtype="float32", seed=1, sizes=(12, 6, 4)):
    from boltz.dbm import DeepBoltzmannMachine

    rng = np.random.default_rng(seed)
    ws = [(0.5 * rng.standard_normal((a, c))).astype(dtype)
          for a, c in zip(sizes[:-1], sizes[1:], strict=True)]
    bs = [(0.3 * rng.standard_normal(k)).astype(dtype) for k in sizes]
    return DeepBoltzmannMachine.from_parameters(ws, bs)


def _params(model):
    return [*model.weights_, *model.biases_]


def case_pretrain():
    from boltz.dbm.training import pretrain_dbm

    X, _ = _data()
    w, b = pretrain_dbm(X, (6, 4), n_epochs=2, batch_size=20, seed=0)
    return digest(*w, *b)


def case_pretrain_dynamic():
    from boltz.dbm.training import pretrain_dbm

    _, grey = _data()
    w, b = pretrain_dbm(grey, (6, 5, 3), n_epochs=2, batch_size=20, seed=1,
                        binarize="dynamic")
    return digest(*w, *b)


def case_fit_default():
    from boltz.dbm import DeepBoltzmannMachine

    X, _ = _data()
    m = DeepBoltzmannMachine((6, 4), n_epochs=2, pretrain_epochs=1, batch_size=20,
                             n_chains=10, seed=0).fit(X)
    hist = [[h["train_bound_unnormalized"], h["learning_rate"], h["max_abs_weight"]]
            for h in m.history_]
    return digest(*_params(m), *m.chains_, np.array(hist))


def case_joint_centred():
    from boltz.dbm.training import train_dbm

    X, _ = _data()
    m = _model()
    m.history_ = []
    train_dbm(m, X, n_epochs=2, batch_size=16, n_chains=8, gibbs_steps=2, mean_field_iters=4,
              mean_field_init="persistent", lr_schedule="linear", learning_rate=0.05,
              centering=True, momentum=0.7, weight_decay=1e-3, seed=5, X_val=X[:30])
    hist = [[h["train_bound_unnormalized"], h["val_bound_unnormalized"], h["learning_rate"]]
            for h in m.history_]
    return digest(*_params(m), *m.chains_, np.array(hist))


def case_joint_dynamic_f64():
    from boltz.dbm.training import train_dbm

    _, grey = _data()
    m = _model("float64", seed=2, sizes=(12, 5, 4, 3))
    m.history_ = []
    train_dbm(m, grey.astype(np.float64), n_epochs=2, batch_size=25, n_chains=7,
              binarize="dynamic", centering=True, learning_rate=0.02, seed=7)
    return digest(*_params(m), *m.chains_)


def case_ais():
    from boltz.dbm import ais_log_partition

    X, _ = _data()
    res, states = ais_log_partition(_model(), n_chains=30, n_betas=300, data=X, seed=3,
                                    return_states=True)
    return digest(res.log_weights, np.array([res.log_z, res.log_z_std, res.ess]),
                  *[s for s in states if s is not None])


def case_ais_f64():
    from boltz.dbm import ais_log_partition

    res = ais_log_partition(_model("float64", seed=4, sizes=(8, 5, 4, 3)), n_chains=20,
                            n_betas=200, seed=9)
    return digest(res.log_weights)


def case_mean_field():
    X, _ = _data()
    m = _model()
    mus = m.mean_field(X, n_iter=20, tol=1e-5)
    damped = m.mean_field(X[:10], n_iter=5, damping=0.3, init="half")
    return digest(*mus, *damped, m.variational_bound_unnormalized(X, mus))


def case_gibbs():
    m = _model()
    states = m.gibbs_sample(15, n_steps=12, seed=4, return_states=True)
    probs = m.gibbs_sample(15, n_steps=5, seed=4)
    clamped = m.gibbs_step(states, seed=6, clamp_visible=True)
    return digest(*states, probs, *clamped)


def case_evaluate():
    from boltz.dbm import evaluate_lower_bound

    X, _ = _data()
    m = _model()
    ev = evaluate_lower_bound(m, X[:40], X_train=X, n_chains=20, n_betas=200, seed=2)
    keys = sorted(k for k, v in ev.items() if isinstance(v, float))
    return digest(np.array([ev[k] for k in keys]))


def case_exact():
    from boltz.dbm import exact_free_energy, exact_log_partition

    X, _ = _data()
    m = _model(sizes=(12, 6, 4))
    return digest(np.array([exact_log_partition(m)]), exact_free_energy(m, X[:20]))


CASES = {name[5:]: fn for name, fn in sorted(globals().items()) if name.startswith("case_")}


@pytest.fixture(scope="module")
def same_platform():
    if _platform() != PLATFORM:
        pytest.skip("the numerical platform (NumPy generator/BLAS/numba) differs from the one "
                    "the fingerprints were recorded on")


@pytest.mark.parametrize("name", sorted(CASES))
def test_fingerprint_unchanged(name, same_platform, one_blas_thread):
    assert CASES[name]() == FINGERPRINTS[name]


if __name__ == "__main__":  # print the table to paste above
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        print(f"PLATFORM = {_platform()!r}")
        for name, fn in CASES.items():
            print(f"    {name!r}: {fn()!r},", file=sys.stdout, flush=True)
