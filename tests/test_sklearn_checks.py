"""scikit-learn's own estimator checks on every boltz estimator (no expected failures).

Two sets: the default instances of the RBMs with real input (every constructor
argument at its default, as ``check_estimator(BernoulliRBM())`` sees them;
scikit-learn's checks set ``random_state`` themselves), and small, short
instances of the settings users combine, for all five estimators. The checks
feed arbitrary real ``X``; :class:`BernoulliRBM` without ``binarize`` takes it
as given (as scikit-learn's ``BernoulliRBM`` does) with an ``OutOfRangeWarning``.
"""

import warnings

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from boltz.dbm import DeepBeliefNet, DeepBoltzmannMachine
from boltz.rbm import BernoulliRBM, CategoricalRBM, GaussianBernoulliRBM
from boltz.rbm.kinds import OutOfRangeWarning

# CategoricalRBM() (one-hot input unless bin_edges is given), DeepBeliefNet() and
# DeepBoltzmannMachine() (binary input unless binarize is given) still reject the
# arbitrary reals the checks feed: they are checked configured, below.
DEFAULTS = [
    BernoulliRBM(),
    GaussianBernoulliRBM(),
]

SMALL = dict(n_epochs=2, batch_size=10, seed=0)

CONFIGURED = [
    BernoulliRBM(n_hidden=4, binarize=0.5, **SMALL),
    BernoulliRBM(n_components=4, n_iter=2, random_state=0),
    GaussianBernoulliRBM(n_hidden=4, **SMALL),
    CategoricalRBM(n_hidden=4, n_categories=3, bin_edges=(0.0, 1.0), **SMALL),
    DeepBeliefNet(n_hidden=(4, 3), binarize=0.5, **SMALL),
    DeepBoltzmannMachine(n_hidden=(4, 3), binarize=0.5, pretrain_epochs=1, n_chains=10,
                         **SMALL),
]


@pytest.fixture(autouse=True)
def _out_of_range_is_expected():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutOfRangeWarning)
        yield


@parametrize_with_checks(DEFAULTS)
def test_default_estimator_passes_sklearn_checks(estimator, check):
    check(estimator)


@parametrize_with_checks(CONFIGURED)
def test_configured_estimator_passes_sklearn_checks(estimator, check):
    check(estimator)
