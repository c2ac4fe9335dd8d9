"""Fingerprints of the NumPy/numba RBM path on fixed seeds (sha256 of array bytes).

``python tests/rbm_fingerprints.py`` prints one ``name sha256`` line per case.
The expected hashes in :mod:`tests.test_rbm_fingerprints` were computed with
this script on the code *before* the backend refactor of issue #17 (commit
492f3cc); the test proves the refactored NumPy path gives bit-identical
results on the same seeds. (The centred cases pin ``final_lr_fraction=0.1``,
the default at 492f3cc; issue #17 made the default 0.01, the tuned recipe's.)
"""

from __future__ import annotations

import hashlib

import numpy as np


def digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode())
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def _data(kind, seed=0):
    from boltz.rbm import one_hot

    rng = np.random.default_rng(seed)
    if kind == "bernoulli":
        return (rng.random((300, 12)) < 0.3).astype(np.float32)
    if kind.startswith("gaussian"):
        return rng.normal(0.5, 1.0, size=(300, 6)).astype(np.float32)
    return one_hot(rng.integers(0, 3, size=(300, 4)), 3).astype(np.float32)


def _model(kind, **kw):
    from boltz.rbm import BernoulliRBM, CategoricalRBM, GaussianBernoulliRBM

    if kind == "bernoulli":
        return BernoulliRBM(**kw)
    if kind == "gaussian":
        return GaussianBernoulliRBM(**kw)
    if kind == "gaussian_learned":
        return GaussianBernoulliRBM(learn_variance=True, **kw)
    return CategoricalRBM(n_categories=3, **kw)


def _params(m):
    return digest(*m._param_arrays().values())


def cases():
    """``{name: callable -> hash}`` for every case."""
    out = {}
    kinds = ("bernoulli", "gaussian", "gaussian_learned", "categorical")
    for kind in kinds:
        methods = ("cd", "pcd", "pt") if kind == "bernoulli" else ("cd", "pcd")
        for method in methods:
            def fit(kind=kind, method=method, **extra):
                X = _data(kind)
                m = _model(kind, n_hidden=5, method=method, n_epochs=3, batch_size=20,
                           seed=1, **extra)
                return _params(m.fit(X))

            out[f"fit/{kind}/{method}"] = fit
            out[f"fit/{kind}/{method}/centred"] = (
                lambda f=fit: f(centering=True, momentum=0.5, weight_decay=1e-3,
                                sparsity_target=0.1, sparsity_cost=0.1,
                                lr_schedule="linear", final_lr_fraction=0.1, k=2))
            out[f"fit/{kind}/{method}/sgd"] = lambda f=fit: f(momentum=0.0)

    def fit_threads(method):
        X = _data("bernoulli")
        m = _model("bernoulli", n_hidden=5, method=method, n_epochs=2, batch_size=20,
                   seed=3, n_threads=2, centering=True)
        return _params(m.fit(X))

    for method in ("pcd", "pt"):
        out[f"fit/bernoulli/{method}/threads2"] = lambda m=method: fit_threads(m)

    def dynamic():
        rng = np.random.default_rng(4)
        X = rng.random((200, 10)).astype(np.float32)
        m = _model("bernoulli", n_hidden=4, binarize="dynamic", n_epochs=2, batch_size=25,
                   seed=2)
        return _params(m.fit(X))

    out["fit/bernoulli/dynamic"] = dynamic

    def scaled():
        from boltz.dbm.training import train_rbm_scaled

        X = _data("bernoulli")
        a = train_rbm_scaled(X, 5, up=2.0, n_epochs=2, seed=5, batch_size=20)
        b = train_rbm_scaled(X, 5, down=2.0, n_epochs=2, seed=5, batch_size=20, method="pcd")
        return digest(*a._param_arrays().values(), *b._param_arrays().values())

    out["fit/scaled_up_down"] = scaled

    def sparse_hidden(method):
        # MNIST-like sizes with sparse hidden samples: the sparse row-sum products
        rng = np.random.default_rng(8)
        X = (rng.random((400, 196)) < 0.13).astype(np.float32)
        W = 0.1 * rng.standard_normal((196, 64))
        m = _model("bernoulli", method=method, batch_size=50, seed=9, momentum=0.0,
                   centering=method == "cd", n_hidden=64)
        m = type(m).from_params(W, np.zeros(196) - 1.0, np.zeros(64) - 3.0,
                                **m.get_params())
        m.history_ = []  # from_params models lack it (partial_fit bug at 492f3cc)
        m.partial_fit(X)
        m.partial_fit(X)
        return _params(m)

    for method in ("cd", "pcd", "pt"):
        out[f"fit/bernoulli/{method}/sparse_hidden"] = lambda m=method: sparse_hidden(m)

    def fitted(kind):
        X = _data(kind)
        return _model(kind, n_hidden=5, n_epochs=2, batch_size=20, seed=7).fit(X), X

    for kind in kinds:
        def ais(kind=kind):
            m, X = fitted(kind)
            f = __import__("boltz.rbm", fromlist=["ais_log_partition"])
            r1 = f.ais_log_partition(m, n_runs=60, n_betas=300, data=X, seed=0)
            r2 = f.reverse_ais_log_partition(m, X[:40], n_betas=300, data=X, n_gibbs=5,
                                             seed=0)
            return digest(r1.log_weights, r2.log_weights, np.array([r1.log_z, r2.log_z]))

        def samples(kind=kind):
            m, X = fitted(kind)
            s = m.sample(7, seed=3, n_steps=20)
            g, h = m.gibbs(X[:9], n_steps=4, seed=4, return_hidden=True)
            return digest(s, g, h, m.sample_visible(h, seed=5), m.sample_hidden(X[:9], seed=6))

        def logz(kind=kind):
            m, X = fitted(kind)
            return digest(np.array([m.log_partition()]), m.free_energy(X[:20]))

        out[f"ais/{kind}"] = ais
        out[f"samples/{kind}"] = samples
        out[f"exact/{kind}"] = logz
    return out


if __name__ == "__main__":
    for name, fn in cases().items():
        print(f'    "{name}": "{fn()}",', flush=True)
