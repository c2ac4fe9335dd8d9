"""Progress leftovers of #20: the RBM bar shows a decayed learning rate in significant
digits, and DeepBeliefNet.sample has an opt-in progress bar that does not change results."""

import re

import numpy as np
import pytest

from boltz.dbm import DeepBeliefNet
from boltz.rbm import BernoulliRBM


def _data():
    return (np.random.default_rng(0).random((40, 6)) < 0.3).astype(float)


def test_rbm_progress_bar_keeps_a_decayed_learning_rate(capsys):
    # linear schedule from 1e-3 to 1e-5: rounded to 3 decimals the last epochs showed 0
    BernoulliRBM(n_hidden=3, n_epochs=3, batch_size=20, learning_rate=1e-3,
                 lr_schedule="linear", final_lr_fraction=0.01, verbose=True,
                 seed=0).fit(_data())
    err = capsys.readouterr().err
    shown = re.findall(r"learning_rate=([0-9.e+-]+)", err)
    assert shown, err[-500:]
    assert float(shown[-1]) > 0, shown
    assert "learning_rate=0," not in err and not err.rstrip().endswith("learning_rate=0")


def test_dbn_sample_progress_is_opt_in_and_changes_nothing(capsys):
    dbn = DeepBeliefNet((4, 3), n_epochs=1, batch_size=20, seed=0).fit(_data())
    quiet = dbn.sample(5, n_steps=10, seed=1)
    assert "Gibbs" not in capsys.readouterr().err
    loud = dbn.sample(5, n_steps=10, seed=1, progress=True)
    assert "Gibbs" in capsys.readouterr().err
    np.testing.assert_array_equal(quiet, loud)
    with pytest.raises(TypeError, match="progress"):
        dbn.sample(5, n_steps=10, progress="yes")
