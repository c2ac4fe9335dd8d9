"""Behaviours of scikit-learn's own BernoulliRBM tests (neural_network/tests/test_rbm.py)
that apply to boltz's BernoulliRBM, written for boltz (grey digits in [0, 1])."""

import re
import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import load_digits

from boltz.rbm import BernoulliRBM
from boltz.rbm.kinds import OutOfRangeWarning

DIGITS = load_digits().data[:300] / 16.0


def test_fit_partial_fit_and_transform_leave_X_unchanged():
    X = DIGITS.copy()
    rbm = BernoulliRBM(n_components=8, n_iter=2, random_state=0).fit(X)
    rbm.partial_fit(X)
    rbm.transform(X)
    rbm.score_samples(X)
    np.testing.assert_array_equal(X, DIGITS)


def test_training_raises_the_exact_log_likelihood_fit_and_partial_fit():
    """8 hidden units: log Z is exact, so score is the exact mean log-likelihood; training
    (by fit, or by partial_fit over minibatches) must raise it clearly above the
    independent-units model it starts from (-23.5 nats here; the fits reach about -21)."""
    Xb = (DIGITS > 0.5).astype(float)
    kw = dict(n_components=8, learning_rate=0.1, batch_size=10, momentum=0.0, monitor_every=0,
              random_state=9)
    start = BernoulliRBM(**kw).init_params(64, Xb).score(Xb)
    fitted = BernoulliRBM(**kw, n_iter=20).fit(Xb).score(Xb)
    rbm = BernoulliRBM(**kw)
    for _ in range(20):
        for batch in np.array_split(Xb, 15):
            rbm.partial_fit(batch)
    partial = rbm.score(Xb)
    assert fitted > start + 1.5 and partial > start + 1.5, (start, fitted, partial)
    assert abs(fitted - partial) < 1.5


def test_transform_is_the_mean_field_hidden_probabilities():
    rbm = BernoulliRBM(n_components=16, batch_size=5, n_iter=2, random_state=42).fit(DIGITS)
    np.testing.assert_allclose(rbm.transform(DIGITS), rbm.hidden_probabilities(DIGITS),
                               rtol=1e-12)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_input_equals_dense(fmt):
    Xs = sparse.random(40, 64, density=0.2, format=fmt, random_state=0)
    Xd = Xs.toarray()
    BernoulliRBM(n_iter=1).fit(Xs[:4] if fmt != "coo" else sparse.coo_matrix(Xd[:4]))
    a = BernoulliRBM(n_components=8, batch_size=10, n_iter=2, random_state=9).partial_fit(Xs)
    b = BernoulliRBM(n_components=8, batch_size=10, n_iter=2, random_state=9).partial_fit(Xd)
    np.testing.assert_array_equal(a.W_, b.W_)
    np.testing.assert_array_equal(a.transform(Xs), b.transform(Xd))
    np.testing.assert_array_equal(a.score_samples(Xs), b.score_samples(Xd))


def test_sampled_hiddens_average_to_their_probabilities():
    rbm = BernoulliRBM(n_components=2, batch_size=5, n_iter=5, random_state=42).fit(DIGITS)
    x = np.repeat(DIGITS[:1], 2000, axis=0)
    p = rbm.hidden_probabilities(DIGITS[:1])[0]
    mean = rbm.sample_hidden(x, seed=0).mean(axis=0)
    tol = 5 * np.sqrt(p * (1 - p) / 2000) + 1e-9             # 5 standard errors
    assert np.all(np.abs(mean - p) < tol)
    assert not np.all(np.abs(mean - (p + 0.1)) < tol)           # control


def test_gibbs_on_the_digits_is_finite_and_random():
    rbm = BernoulliRBM(n_components=42, batch_size=40, n_iter=3, random_state=42).fit(DIGITS)
    v1 = rbm.gibbs(DIGITS, seed=1)
    v2 = rbm.gibbs(DIGITS, seed=2)
    assert np.all(np.isfinite(v1)) and set(np.unique(v1)) <= {0.0, 1.0}
    assert np.all((v1 != v2).any(axis=1))


def test_score_samples_is_unclipped_and_stable_for_wide_rows():
    X = np.vstack([np.zeros(1000), np.ones(1000)])
    rbm = BernoulliRBM(n_components=10, batch_size=2, n_iter=3, random_state=42).fit(X)
    s = rbm.score_samples(X)            # exact: 10 hidden units; ~ -1000 log 2 untrained
    assert np.all(np.isfinite(s)) and np.all(s < -300)
    np.testing.assert_array_equal(s, rbm.score_samples(sparse.lil_matrix(X)))
    with pytest.warns(OutOfRangeWarning, match=r"outside \[0, 1\]"):
        wide = rbm.score_samples([np.arange(1000) * 100])   # taken as given, with a warning
    assert np.all(np.isfinite(wide))                         # (scikit-learn's #2785)
    big = BernoulliRBM(n_components=10, n_iter=1, binarize=0.5, random_state=0).fit(X)
    assert np.all(np.isfinite(big.score_samples([np.arange(1000) * 100])))


def test_values_outside_unit_interval_are_taken_as_given_with_a_warning():
    """scikit-learn's BernoulliRBM takes any real X; boltz does too (the formulas are linear
    in v) but warns; binarize='dynamic', which draws from X, rejects such X."""
    X = DIGITS[:100] * 16.0                                  # unscaled digits, 0..16
    with pytest.warns(OutOfRangeWarning):
        rbm = BernoulliRBM(n_components=8, n_iter=1, random_state=0, learning_rate=0.001).fit(X)
    with pytest.warns(OutOfRangeWarning):
        Xt = rbm.transform(X)
    np.testing.assert_allclose(Xt, 1 / (1 + np.exp(-(X @ rbm.W_.astype(float)
                                                     + rbm.hidden_bias_))), rtol=1e-6)
    with pytest.raises(ValueError, match=r"X must hold probabilities in \[0, 1\]"):
        BernoulliRBM(n_iter=1, binarize="dynamic").fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                       # control: [0, 1] does not warn
        BernoulliRBM(n_components=8, n_iter=1, random_state=0).fit(DIGITS[:100])


@pytest.mark.parametrize("dtype_in, dtype_out",
                         [(np.float32, np.float32), (np.float64, np.float64),
                          (np.int64, np.float64)])
def test_transform_dtype(dtype_in, dtype_out):
    X = (DIGITS[:100] > 0.5).astype(dtype_in)
    Xt = BernoulliRBM(n_components=16, batch_size=5, n_iter=2, random_state=42).fit_transform(X)
    assert Xt.dtype == dtype_out


def test_float32_and_float64_input_train_the_same_model():
    """boltz trains in float32 whatever the input: the same parameters, bit for bit."""
    kw = dict(n_components=16, batch_size=5, n_iter=2, random_state=42)
    r64 = BernoulliRBM(**kw).fit(DIGITS[:100].astype(np.float64))
    r32 = BernoulliRBM(**kw).fit(DIGITS[:100].astype(np.float32))
    np.testing.assert_array_equal(r64.W_, r32.W_)
    np.testing.assert_allclose(r64.transform(DIGITS[:100]),
                               r32.transform(DIGITS[:100].astype(np.float32)), rtol=1e-5)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_feature_names_out(method):
    rbm = BernoulliRBM(n_components=10, n_iter=1, random_state=0)
    getattr(rbm, method)(DIGITS)
    assert rbm.get_feature_names_out().tolist() == [f"bernoullirbm{i}" for i in range(10)]


def test_small_sparse_with_every_default():
    """scikit-learn's test_small_sparse: BernoulliRBM() with no arguments fits 4 sparse rows."""
    rbm = BernoulliRBM().fit(sparse.csr_matrix(DIGITS[:4]))
    assert rbm.W_.shape == (64, 256) and np.all(np.isfinite(rbm.W_))


def test_one_feature_dense_and_sparse_fit_alike_with_a_random_state_object():
    """scikit-learn's test_fit_gibbs: one visible unit, 2 rows, batch 2, 42 epochs, a
    RandomState as random_state; dense and sparse (csc) input give the same weights."""
    X = np.array([[0.0], [1.0]])
    fits = [BernoulliRBM(n_components=2, batch_size=2, n_iter=42,
                         random_state=np.random.RandomState(42)).fit(x)
            for x in (X, sparse.csc_matrix(X))]
    np.testing.assert_array_equal(fits[0].W_, fits[1].W_)
    assert np.all(np.abs(fits[0].W_) < 1.0)          # small weights, as scikit-learn's fit
    # the model still assigns both rows a clear probability (neither state is lost)
    p = np.exp(fits[0].score_samples(X))
    assert np.all(p > 0.25) and abs(p.sum() - 1) < 1e-6


@pytest.mark.parametrize("verbose", [True, 10])
def test_verbose_with_sparse_input_reports_progress(verbose, capsys):
    """scikit-learn's test_rbm_verbose / test_sparse_and_verbose: verbose fits (sparse input
    too) report their progress; boltz's is a progress bar with the monitored metrics."""
    X = sparse.csc_matrix([[0.0], [1.0]])
    rbm = BernoulliRBM(n_components=2, batch_size=2, n_iter=1, random_state=42,
                       verbose=verbose).fit(X)
    err = capsys.readouterr().err
    assert "BernoulliRBM" in err and re.search(r"recon_error=\d", err), err
    assert rbm.n_iter_ == 1


def test_scikit_learn_attribute_names_alias_the_parameters():
    """scikit-learn's fitted attributes, used by its example (``components_`` images)."""
    rbm = BernoulliRBM(n_components=16, n_iter=1, random_state=0).fit(DIGITS)
    np.testing.assert_array_equal(rbm.components_, rbm.W_.T)
    np.testing.assert_array_equal(rbm.intercept_hidden_, rbm.hidden_bias_)
    np.testing.assert_array_equal(rbm.intercept_visible_, rbm.visible_bias_)
    assert rbm.components_.shape == (16, 64)
    assert not hasattr(BernoulliRBM(), "components_")       # unfitted: an AttributeError
