"""scikit-learn's own estimator checks on every boltz estimator (no expected failures).

The instances are small and short (a few epochs) so that the ~40 checks per
estimator, each of which fits several times, stay fast; every constructor
argument not given is the default.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from boltz.dbm import DeepBeliefNet, DeepBoltzmannMachine
from boltz.rbm import BernoulliRBM, CategoricalRBM, GaussianBernoulliRBM

SMALL = dict(n_epochs=2, batch_size=10, seed=0)

ESTIMATORS = [
    BernoulliRBM(n_hidden=4, binarize=0.5, **SMALL),
    GaussianBernoulliRBM(n_hidden=4, **SMALL),
    CategoricalRBM(n_hidden=4, n_categories=3, bin_edges=(0.0, 1.0), **SMALL),
    DeepBeliefNet(n_hidden=(4, 3), binarize=0.5, **SMALL),
    DeepBoltzmannMachine(n_hidden=(4, 3), binarize=0.5, pretrain_epochs=1, n_chains=10,
                         **SMALL),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
