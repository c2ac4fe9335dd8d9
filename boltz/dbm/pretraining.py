"""Greedy layer-wise pretraining of a DBM with weight doubling.

Salakhutdinov & Hinton (2009, 2012). A stack of RBMs is trained bottom-up,
each on samples of the hidden units of the one below. In the DBM every hidden
layer but the top one receives input from two neighbours, while an RBM layer
receives it from one, so the inputs are doubled where a DBM neighbour is
missing:

- bottom RBM (v - h_1): bottom-up input doubled, ``p(h_1 | v) = sigmoid(2 v W + c)``,
  ``p(v | h_1) = sigmoid(W h_1 + b)``;
- top RBM (h_{L-1} - h_L): top-down input doubled, ``p(h_{L-1} | h_L) = sigmoid(2 W h_L + b)``;
- middle RBMs: doubled both ways, i.e. an ordinary RBM with weights ``2 W``,
  whose weights are halved when composed into the DBM.

Biases of a layer shared by two RBMs are averaged when composing. Each RBM is
a :class:`boltz.rbm.BernoulliRBM` trained by its own trainer (on its own
backend with ``device=``).

Examples
--------
>>> import numpy as np
>>> from boltz.dbm.pretraining import pretrain_dbm
>>> X = (np.random.default_rng(0).random((100, 8)) < 0.3).astype(np.float32)
>>> weights, biases = pretrain_dbm(X, (4, 3), n_epochs=1, batch_size=20, seed=0)
>>> [w.shape for w in weights], [b.shape for b in biases]
([(8, 4), (4, 3)], [(8,), (4,), (3,)])
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    check_binary,
    check_choice,
    check_nonnegative_int,
    check_positive_int,
    check_rng,
    check_unit_interval,
)
from ..datasets import draw_binary
from .formulas import check_hidden_sizes, sigmoid

__all__ = ["doubling_factors", "train_rbm_scaled", "pretrain_dbm", "check_training_data"]


def check_training_data(X, binarize, n_visible, dtype):
    """``X`` checked for training: binary, or probabilities with ``binarize="dynamic"``.

    Parameters
    ----------
    X : array
    binarize : {None, "dynamic"}
    n_visible : int or None
        Required number of columns (any when None).
    dtype : dtype

    Returns
    -------
    ndarray

    Examples
    --------
    >>> check_training_data([[0.5]], "dynamic", 1, np.float32).dtype
    dtype('float32')
    """
    layout = {"ndim": 2} if n_visible is None else {"shape": (None, n_visible)}
    if binarize is None:
        return check_binary(X, "X", dtype=dtype, **layout)
    check_choice(binarize, "binarize", {"dynamic"})
    return check_unit_interval(X, "X", dtype=dtype, **layout)


def doubling_factors(n_hidden_layers: int) -> list:
    """``(up, down)`` input scalings of each pretraining RBM, bottom first.

    Bottom: ``(2, 1)``; top: ``(1, 2)``; middle: ``(2, 2)``.
    """
    L = check_positive_int(n_hidden_layers, "n_hidden_layers")
    if L < 2:
        raise ValueError(f"a DBM needs at least 2 hidden layers, got {L}")
    return [(2.0 if k < L - 1 else 1.0, 2.0 if k > 0 else 1.0) for k in range(L)]


# ----------------------------------------------------------------------
# greedy pretraining
# ----------------------------------------------------------------------
def train_rbm_scaled(X, n_hidden: int, *, up: float = 1.0, down: float = 1.0,
                     n_epochs: int = 10, seed=None, init=None, **rbm_params):
    """Train a :class:`boltz.rbm.BernoulliRBM` whose up/down inputs are scaled.

    ``up = 2`` doubles the bottom-up input (bottom RBM of a DBM), ``down = 2``
    the top-down input (top RBM). ``init`` is an optional ``(W, visible_bias,
    hidden_bias)`` to start from. Returns the fitted RBM (its ``W_`` is the
    unscaled weight matrix).
    """
    from ..rbm import BernoulliRBM
    from ..rbm.training import make_trainer, train

    rng = check_rng(seed)
    X32 = check_training_data(X, rbm_params.get("binarize"), None, np.float32)
    params = {"method": "cd", "monitor_every": 0, "n_epochs": n_epochs, **rbm_params}
    if init is None:
        rbm = BernoulliRBM(n_hidden=n_hidden, seed=rng, **params)
        rbm.init_params(X32.shape[1], X32, seed=rng)
    else:
        rbm = BernoulliRBM.from_params(*init, seed=rng, **params)
    rbm.history_, rbm.n_iter_ = [], 0
    n_epochs = check_nonnegative_int(n_epochs, "n_epochs")
    if n_epochs:
        trainer = make_trainer(rbm, X32, rng, up=up, down=down)
        train(rbm, X32, n_epochs, trainer=trainer)
    return rbm


def pretrain_dbm(X, n_hidden, *, n_epochs: int = 10, learning_rate: float = 0.05,
                 batch_size: int = 100, dtype="float32", seed=None, verbose: bool = False,
                 binarize: str | None = None, **rbm_params):
    """Greedy layer-wise pretraining with weight doubling; returns ``(weights, biases)``.

    Each RBM is a :class:`boltz.rbm.BernoulliRBM` trained with CD (its own
    training loop, with the inputs scaled as in :func:`doubling_factors`) on
    samples of the previous RBM's hidden units given its (doubled) input.
    Middle RBMs, doubled both ways, are ordinary RBMs with weights ``2 W``:
    they are trained as such and their weights halved when composed; the
    bottom and top RBMs are composed as trained (Salakhutdinov & Hinton 2012).
    A layer shared by two RBMs gets the mean of their two biases.

    ``binarize="dynamic"`` takes grey levels ``X`` in [0, 1] and trains every
    RBM on a fresh Bernoulli draw of each minibatch: the bottom RBM on draws
    of ``X``, each higher one on draws of the probabilities of the hidden units
    below given one draw of its input (rather than on one fixed sample of them).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_visible)
        Binary data (probabilities with ``binarize="dynamic"``).
    n_hidden : sequence of int
        Hidden layer sizes, bottom first (two or more).
    n_epochs : int, default 10
        Epochs per RBM.
    learning_rate : float, default 0.05
        Learning rate of every RBM.
    batch_size : int, default 100
        Minibatch size.
    dtype : {"float32", "float64"}, default "float32"
        Dtype of the returned arrays.
    seed : int, numpy.random.Generator or None
        Random seed.
    verbose : bool, default False
        Progress bars.
    binarize : {None, "dynamic"}, default None
        See above.
    **rbm_params
        Other :class:`boltz.rbm.BernoulliRBM` arguments.

    Returns
    -------
    weights : list of numpy.ndarray
        ``W_l`` of shape ``(n_l, n_{l+1})``.
    biases : list of numpy.ndarray
        One bias vector per layer.

    Examples
    --------
    >>> import numpy as np
    >>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
    >>> weights, biases = pretrain_dbm(X, (3, 2), n_epochs=1, batch_size=20, seed=0)
    >>> [w.shape for w in weights], [b.shape for b in biases]
    ([(6, 3), (3, 2)], [(6,), (3,), (2,)])
    """
    n_hidden = check_hidden_sizes(n_hidden)
    dt = np.dtype(check_choice(str(np.dtype(dtype)), "dtype", {"float32", "float64"}))
    X = check_training_data(X, binarize, None, np.float32)
    n_epochs = check_nonnegative_int(n_epochs, "n_epochs")
    rng = check_rng(seed)
    factors = doubling_factors(len(n_hidden))
    weights, vis_biases, hid_biases = [], [], []
    data = X
    for k, ((up, down), n_h) in enumerate(zip(factors, n_hidden, strict=True)):
        middle = up == 2.0 and down == 2.0
        t_up, t_down = (1.0, 1.0) if middle else (up, down)
        rbm = train_rbm_scaled(data, n_h, up=t_up, down=t_down, n_epochs=n_epochs, seed=rng,
                               learning_rate=learning_rate, batch_size=batch_size,
                               verbose=verbose, binarize=binarize, **rbm_params)
        W = rbm.W_.astype(dt)
        weights.append(0.5 * W if middle else W)
        vis_biases.append(rbm.visible_bias_.astype(dt))
        hid_biases.append(rbm.hidden_bias_.astype(dt))
        if k + 1 < len(n_hidden):
            # the next RBM learns from samples of this one's hidden units
            p = sigmoid(t_up * (draw_binary(data, rng, binarize) @ rbm.W_) + rbm.hidden_bias_)
            data = p if binarize else draw_binary(p, rng)
    biases = [vis_biases[0]]
    for l in range(1, len(n_hidden) + 1):
        if l < len(n_hidden):
            biases.append(0.5 * (hid_biases[l - 1] + vis_biases[l]))
        else:
            biases.append(hid_biases[l - 1])
    return weights, biases
