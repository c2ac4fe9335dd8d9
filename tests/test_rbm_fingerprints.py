"""The NumPy/numba RBM path gives bit-identical results to the code before issue #17's refactor.

The expected hashes below were computed by ``python tests/rbm_fingerprints.py``
on commit 55c25f9 (the code of 492f3cc, before the backend refactor moved the
formulas into :mod:`boltz.rbm.trainer` and :mod:`boltz.backend`): sha256 (16 hex
digits) of the fitted parameters, AIS log-weights, samples and exact log Z of
each RBM kind x method on fixed seeds. A sample of them runs here (the full set
takes about a minute: ``python tests/rbm_fingerprints.py``).
"""

import numpy as np
import pytest
from rbm_fingerprints import cases

EXPECTED = {
    "fit/bernoulli/cd": "5f7f1ea429f86fb7",
    "fit/bernoulli/cd/centred": "3e71d372d555e4a1",
    "fit/bernoulli/cd/sgd": "08d07bfc65dcc997",
    "fit/bernoulli/pcd": "dc75b4a12478720b",
    "fit/bernoulli/pcd/centred": "e7d1443015e3f46e",
    "fit/bernoulli/pcd/sgd": "d942fcf675b9ff84",
    "fit/bernoulli/pt": "f22333f332d21d3b",
    "fit/bernoulli/pt/centred": "0187263d1687f143",
    "fit/bernoulli/pt/sgd": "a8d6807df7603d4d",
    "fit/gaussian/cd": "eb86e729e0d7b6b6",
    "fit/gaussian/cd/centred": "ac7768eb90923dce",
    "fit/gaussian/cd/sgd": "2ae6cf4cf0a25f6e",
    "fit/gaussian/pcd": "ef5ce2e335df89b0",
    "fit/gaussian/pcd/centred": "12a0401c20f351cb",
    "fit/gaussian/pcd/sgd": "830ac8a558edbe2a",
    "fit/gaussian_learned/cd": "e18bff121e9480d9",
    "fit/gaussian_learned/cd/centred": "78b740aa1750ed29",
    "fit/gaussian_learned/cd/sgd": "32ce27348e1c249f",
    "fit/gaussian_learned/pcd": "cd7b1064453fda44",
    "fit/gaussian_learned/pcd/centred": "21d79b08156deb6b",
    "fit/gaussian_learned/pcd/sgd": "dce20052bf4eb890",
    "fit/categorical/cd": "40970e40eb102068",
    "fit/categorical/cd/centred": "f5a44c7c3c351eca",
    "fit/categorical/cd/sgd": "782ef3d7bf794a56",
    "fit/categorical/pcd": "0ad307bcff6d4c5b",
    "fit/categorical/pcd/centred": "0da575a3e01a7417",
    "fit/categorical/pcd/sgd": "9a083dae361c6dac",
    "fit/bernoulli/pcd/threads2": "2892069ccb77c54d",
    "fit/bernoulli/pt/threads2": "661e7119728e8374",
    "fit/bernoulli/dynamic": "4ad6ce1f3e46e39f",
    "fit/scaled_up_down": "359d6799fc2dbed0",
    "fit/bernoulli/cd/sparse_hidden": "fee011c7e493c367",
    "fit/bernoulli/pcd/sparse_hidden": "68540e8f5ba49e15",
    "fit/bernoulli/pt/sparse_hidden": "f01e9ef28b632e5b",
    "ais/bernoulli": "23c65de5ea20694d",
    "samples/bernoulli": "72802ae26af8a182",
    "exact/bernoulli": "2061c4869bacb651",
    "ais/gaussian": "b5d3bbba3656aaa5",
    "samples/gaussian": "e9abda575c215ad0",
    "exact/gaussian": "2c5e312d8d573b21",
    "ais/gaussian_learned": "59e4aa8eb126f8da",
    "samples/gaussian_learned": "addcbe3bc208a7e4",
    "exact/gaussian_learned": "7b79df28b7361503",
    "ais/categorical": "da7d35d774fa1c47",
    "samples/categorical": "62f4c296e5a00240",
    "exact/categorical": "72905cd0f5ddd94e",
}

CHECKED = [
    "fit/bernoulli/pcd/sgd",
    "fit/bernoulli/pt/centred",
    "fit/gaussian_learned/pcd/centred",
    "fit/categorical/cd/centred",
    "fit/bernoulli/pcd/sparse_hidden",
    "fit/bernoulli/pcd/threads2",
    "fit/scaled_up_down",
    "ais/bernoulli",
    "ais/gaussian",
    "samples/categorical",
]


@pytest.mark.parametrize("name", CHECKED)
def test_numpy_path_is_bit_identical_to_the_pre_refactor_code(name):
    assert cases()[name]() == EXPECTED[name]


def test_fingerprints_tell_results_apart():
    """Control: a different seed gives a different fingerprint."""
    import numpy as np
    from rbm_fingerprints import _data, _model, _params

    X = _data("bernoulli")
    a = _params(_model("bernoulli", n_hidden=5, n_epochs=1, seed=1).fit(X))
    b = _params(_model("bernoulli", n_hidden=5, n_epochs=1, seed=2).fit(X))
    assert a != b and np.all([len(h) == 16 for h in EXPECTED.values()])


def _thread_fit(n_threads, method, centering, sparse):
    """A fit large enough that every row-parallel kernel splits its work (W 256 x 160,
    batches of 250) -- or, with ``sparse``, a visible layer with few ones and hiddens
    biased off, so the sparse ``h W^T`` and the transposed-copy refresh run too."""
    from rbm_fingerprints import _params

    from boltz.rbm import BernoulliRBM

    rng = np.random.default_rng(5)
    X = (rng.random((1000, 256)) < (0.08 if sparse else 0.3)).astype(np.float32)
    m = BernoulliRBM(160, method=method, n_epochs=2, batch_size=250, learning_rate=0.05,
                     momentum=0.5 if centering else 0.0, centering=centering, seed=11,
                     n_threads=n_threads)
    if sparse:
        m.init_params(256, X)
        m.hidden_bias_[:] = -3.0
        m.partial_fit(X)
        m.partial_fit(X)
    else:
        m.fit(X)
    return _params(m)


@pytest.mark.parametrize("method,centering,sparse", [("pcd", False, False), ("pcd", True, True),
                                                     ("cd", True, False), ("pt", False, True)])
def test_same_seed_same_fit_on_any_thread_count(method, centering, sparse):
    """Same seed, same fit on 1, 2 and 3 threads. (Before BLAS was held at one thread in
    training, the PT case failed here: OpenBLAS float32 products round differently on
    2 threads.)"""
    one = _thread_fit(1, method, centering, sparse)
    assert _thread_fit(2, method, centering, sparse) == one
    assert _thread_fit(3, method, centering, sparse) == one
