"""Validation at the public entry points (issue #18): complex input, NaN log Z,
an energy that is +inf everywhere, deep-model arguments."""

import warnings

import numpy as np
import pytest

from boltz._checks import check_not_complex, check_optional_finite


@pytest.mark.parametrize("x", [np.array([1.0 + 0j]), [1j, 2.0], 3 + 1j, [[1.0, 2j]]])
def test_complex_input_rejected_by_the_shared_check(x):
    with pytest.raises(TypeError, match="X must be real, got complex"):
        check_not_complex(x, "X")


@pytest.mark.parametrize("x", [np.array([1.0]), [1, 2], 3.0, "text", [[1], [2, 3]]])
def test_real_input_passes_the_shared_check(x):
    assert check_not_complex(x, "X") is x


def test_complex_data_is_not_cast_with_a_warning():
    from boltz.rbm import BernoulliRBM

    X = (np.random.default_rng(0).random((20, 6)) < 0.5).astype(np.complex128)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ComplexWarning would fail here, not pass silently
        # the estimators validate through scikit-learn, whose message and type these are
        with pytest.raises(ValueError, match="Complex data not supported"):
            BernoulliRBM(3, n_epochs=1, seed=0).fit(X)
    BernoulliRBM(3, n_epochs=1, seed=0).fit(X.real)  # control: the real part trains


def test_score_samples_rejects_a_nan_log_z():
    from boltz.rbm import BernoulliRBM

    m = BernoulliRBM.from_params(np.zeros((4, 3)), np.zeros(4), np.zeros(3))
    X = np.zeros((2, 4))
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="log_z must be a finite number"):
            m.score_samples(X, log_z=bad)
    with pytest.raises(TypeError, match="log_z must be real"):
        m.score_samples(X, log_z=1j)
    assert np.all(np.isfinite(m.score_samples(X, log_z=1.0)))
    assert check_optional_finite(None, "log_z") is None


def test_exact_distribution_of_an_energy_infinite_everywhere_raises():
    from boltz.exact import ExactDistribution

    with pytest.raises(ValueError, match="every state energy \\+inf"):
        ExactDistribution(lambda x: np.full(x.shape[0], -np.inf), n_variables=3)
    # control: one finite state is a (degenerate) distribution
    d = ExactDistribution(lambda x: np.where(x.sum(1) == 0, 0.0, -np.inf), n_variables=3)
    assert d.log_probs[0] == 0.0 and np.all(np.isfinite(d.marginals()))


def test_deep_arguments_named():
    pytest.importorskip("torch")
    import torch

    from boltz.deep import DenoisingScoreMatching, MLPEnergy, fit

    with pytest.raises(TypeError, match=r"hidden must be a tuple of layer widths, e.g. "
                                        r"hidden=\(8,\)"):
        MLPEnergy(2, hidden=8)
    with pytest.raises(ValueError, match=r"hidden\[1\] must be"):
        MLPEnergy(2, hidden=(8, 0))
    data = torch.randn(50, 1, generator=torch.Generator().manual_seed(0))
    for kwargs, match in (({"grad_clip": -1.0}, "grad_clip must be positive"),
                          ({"grad_clip": float("nan")}, "grad_clip must be finite"),
                          ({"weight_decay": -0.1}, "weight_decay must be non-negative")):
        with pytest.raises(ValueError, match=match):
            fit(MLPEnergy(1, hidden=(4,)), DenoisingScoreMatching(0.5), data, n_steps=2,
                progress=False, **kwargs)
    res = fit(MLPEnergy(1, hidden=(4,)), DenoisingScoreMatching(0.5), data, n_steps=2,
              progress=False, grad_clip=1.0, seed=0)
    assert res.n_steps == 2


def test_torch_checkpoint_save_leaves_nothing_behind_on_failure(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    import torch

    from boltz.deep import MLPEnergy
    from boltz.deep.training import save_checkpoint

    path = save_checkpoint(tmp_path / "m.pt", MLPEnergy(2, hidden=(4,)))
    old = path.read_bytes()

    def fail(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(torch, "save", fail)
    with pytest.raises(OSError, match="No space"):
        save_checkpoint(path, MLPEnergy(2, hidden=(4,)))
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"] and path.read_bytes() == old
