"""boltz's estimators used as scikit-learn users use them: grid search, pipelines,
set_output, scikit-learn's parameter names, and the DBN/DBM estimator API."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.neural_network import BernoulliRBM as SklearnRBM
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from boltz.dbm import DeepBeliefNet, DeepBoltzmannMachine
from boltz.rbm import BernoulliRBM, GaussianBernoulliRBM

DIGITS, LABELS = load_digits(return_X_y=True)
GREY = DIGITS / 16.0
BINARY = (GREY > 0.5).astype(float)


def test_grid_search_over_the_bare_estimator_uses_the_mean_log_likelihood():
    X = BINARY[:300]
    rbm = BernoulliRBM(n_hidden=4, n_epochs=2, batch_size=20, monitor_every=0, seed=0)
    cv = KFold(3)
    search = GridSearchCV(rbm, {"n_hidden": [2, 6]}, cv=cv).fit(X)
    # the CV score is score() on each held-out fold: recompute it by hand
    for i, n_hidden in enumerate([2, 6]):
        folds = [clone(rbm).set_params(n_hidden=n_hidden).fit(X[tr]).score(X[te])
                 for tr, te in cv.split(X)]
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(np.mean(folds))
    assert search.best_params_["n_hidden"] == [2, 6][np.argmax(
        search.cv_results_["mean_test_score"])]
    check_is_fitted(search.best_estimator_)


def test_grid_search_over_the_pipeline_on_grey_digits():
    X_train, X_test, y_train, y_test = train_test_split(GREY, LABELS, test_size=0.3,
                                                        random_state=0)
    pipe = Pipeline([("rbm", BernoulliRBM(n_components=32, n_iter=3, monitor_every=0,
                                          random_state=0)),
                     ("logistic", LogisticRegression(max_iter=300))])
    grid = {"rbm__learning_rate": [0.02, 0.06], "logistic__C": [1.0, 100.0]}
    with threadpool_limits(1):
        search = GridSearchCV(pipe, grid, cv=2).fit(X_train, y_train)
    assert set(search.best_params_) == {"rbm__learning_rate", "logistic__C"}
    assert search.score(X_test, y_test) > 0.8


def test_digits_example_boltz_matches_sklearn_with_the_same_algorithm():
    """scikit-learn's example in miniature (no nudging, 5 epochs): boltz's RBM with
    scikit-learn's settings spelled out (batch 10, no momentum) gives features as good."""
    X_train, X_test, y_train, y_test = train_test_split(GREY, LABELS, test_size=0.2,
                                                        random_state=0)
    example = dict(n_components=64, learning_rate=0.06, n_iter=5, random_state=0, batch_size=10)
    scores = {}
    with threadpool_limits(1):  # multi-threaded BLAS thrashes on a shared machine
        for name, rbm in (("sklearn", SklearnRBM(**example)),
                          ("boltz", BernoulliRBM(**example, momentum=0.0, monitor_every=0))):
            logistic = LogisticRegression(solver="newton-cg", C=6000)
            pipe = Pipeline([("rbm", rbm), ("logistic", logistic)])
            scores[name] = pipe.fit(X_train, y_train).score(X_test, y_test)
    assert scores["sklearn"] > 0.85
    assert scores["boltz"] >= scores["sklearn"] - 0.02, scores


def test_set_output_pandas_and_feature_names():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(BINARY[:50, :6], columns=[f"px{i}" for i in range(6)])
    rbm = BernoulliRBM(n_hidden=3, n_epochs=1, seed=0).set_output(transform="pandas")
    out = rbm.fit_transform(df)
    assert list(out.columns) == ["bernoullirbm0", "bernoullirbm1", "bernoullirbm2"]
    assert rbm.feature_names_in_.tolist() == list(df.columns)
    assert rbm.n_features_in_ == 6


def test_sklearn_parameter_names_are_aliases():
    X = BINARY[:100]
    a = BernoulliRBM(n_components=5, n_iter=2, random_state=3, monitor_every=0).fit(X)
    # scikit-learn's names: the training arguments left out take scikit-learn's defaults
    b = BernoulliRBM(n_hidden=5, n_epochs=2, seed=3, monitor_every=0, batch_size=10,
                     momentum=0.0, learning_rate=0.1).fit(X)
    np.testing.assert_array_equal(a.W_, b.W_)
    assert a.n_hidden_ == 5 and a.n_iter_ == 2
    assert clone(a).get_params()["n_components"] == 5
    c = BernoulliRBM(n_hidden=7, n_components=5, n_iter=1, monitor_every=0).fit(X)
    assert c.W_.shape == (64, 5)                          # n_components wins when given
    with pytest.raises(ValueError, match="n_components"):
        BernoulliRBM(n_components=0).fit(X)


def test_sklearn_names_take_sklearn_training_defaults_and_boltz_names_keep_boltz_ones():
    X = BINARY[:200]
    fit = lambda **kw: BernoulliRBM(monitor_every=0, **kw).fit(X).W_  # noqa: E731
    boltz_style = fit(n_hidden=5, n_epochs=2, seed=3)
    assert np.array_equal(boltz_style, fit(n_hidden=5, n_epochs=2, seed=3, batch_size=100,
                                           momentum=0.5, learning_rate=0.05))
    # random_state alone (set by scikit-learn's tools on any estimator) keeps boltz's algorithm
    assert np.array_equal(boltz_style, fit(n_hidden=5, n_epochs=2, random_state=3))
    sk_style = fit(n_components=5, n_epochs=2, seed=3)
    assert np.array_equal(sk_style, fit(n_hidden=5, n_iter=2, seed=3))
    assert not np.array_equal(sk_style, boltz_style)                   # control
    # explicit arguments win over either style's defaults
    assert np.array_equal(fit(n_components=5, n_iter=2, seed=3, batch_size=100, momentum=0.5,
                              learning_rate=0.05), boltz_style)
    assert BernoulliRBM(n_components=5)._training_setting("batch_size") == 10
    assert BernoulliRBM(n_hidden=5)._training_setting("momentum") == 0.5
    assert GaussianBernoulliRBM(n_components=5)._training_setting("batch_size") == 100


def test_random_state_may_be_a_numpy_random_state():
    X = BINARY[:100]
    make = lambda: BernoulliRBM(n_components=3, n_iter=1, monitor_every=0,  # noqa: E731
                                random_state=np.random.RandomState(42))
    a, b = make().fit(X).W_, make().fit(X).W_
    np.testing.assert_array_equal(a, b)                   # same RandomState seed, same fit
    rbm = make()
    assert not np.array_equal(rbm.fit(X).W_.copy(), rbm.fit(X).W_)  # it advances between fits


def test_not_fitted_and_y_ignored():
    rbm = BernoulliRBM(n_hidden=3)
    assert not hasattr(rbm, "n_visible_")                 # NotFittedError is an AttributeError
    with pytest.raises(Exception, match="not fitted|no parameters"):
        rbm.transform(BINARY[:2])
    g = GaussianBernoulliRBM(n_hidden=3, n_epochs=1, seed=0)
    X = np.random.default_rng(0).normal(size=(40, 4))
    np.testing.assert_array_equal(g.fit(X, np.arange(40)).W_, clone(g).fit(X).W_)


@pytest.mark.parametrize("make", [
    lambda: DeepBeliefNet((4, 3), n_epochs=1, batch_size=20, seed=0),
    lambda: DeepBoltzmannMachine((4, 3), n_epochs=1, pretrain_epochs=1, batch_size=20,
                                 n_chains=20, seed=0),
])
def test_deep_models_estimator_api(make):
    X = BINARY[:120, :10]
    model = make()
    params = model.get_params(deep=True)
    assert params == model.get_params(deep=False) and params["n_hidden"] == (4, 3)
    assert model.set_params(learning_rate=0.02) is model and model.learning_rate == 0.02
    a = clone(model).fit(X, np.arange(120)).transform(X)       # y is ignored
    b = clone(model).fit_transform(X)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (120, 3)
    fitted = clone(model).fit(X)
    assert isinstance(fitted.score(X), float) and fitted.score(X) < 0
    assert fitted.transform(X.astype(np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="X must be binary"):
        clone(model).fit(X * 0.5)
    assert clone(model).set_params(binarize=0.25).fit(X * 0.5).n_features_in_ == 10
