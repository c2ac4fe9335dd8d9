"""Deep belief net: a greedy layer-wise stack of RBMs (Hinton, Osindero & Teh 2006).

The generative model is an RBM over the top two layers ``(h_{L-1}, h_L)`` and
directed sigmoid connections below it: ``p(h_{l-1} | h_l) = sigmoid(W_l h_l + a_l)``
with ``a_l`` the visible bias of the ``l``-th RBM. Each RBM is trained on
samples of the hidden units of the one below given the data.

Adding a layer never lowers the variational bound (Hinton et al. 2006)::

    log p(v) >= sum_h q(h | v) [log p(v | h) + log p(h) - log q(h | v)]

where ``q(h | v)`` is the bottom RBM's posterior and ``p(h)`` the prior of
the layers above. With one RBM the bound is its exact log-likelihood; a new
top RBM initialised with the transposed weights of the layer below has the
same prior ``p(h)``, so the bound starts equal, and training the new RBM on
samples of ``q(h | v)`` raises ``E_q[log p(h)]``, hence the bound.
:meth:`DeepBeliefNet.variational_bound` computes it exactly for small nets.

Examples
--------
>>> import numpy as np
>>> from boltz.dbm import DeepBeliefNet
>>> X = (np.random.default_rng(0).random((200, 8)) < 0.3).astype(float)
>>> dbn = DeepBeliefNet((4, 3), n_epochs=2, batch_size=20, seed=0).fit(X)
>>> dbn.transform(X[:2]).shape, dbn.sample(3, n_steps=5, seed=0).shape
((2, 3), (3, 8))
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .._validation import (
    check_binary,
    check_choice,
    check_finite_scalar,
    check_nonnegative_int,
    check_positive_int,
    check_rng,
)
from .estimator import LayeredEstimatorMixin
from .formulas import check_hidden_sizes, sigmoid

__all__ = ["DeepBeliefNet"]

MODEL_KIND = "DeepBeliefNet"
_MAX_ENUM_UNITS = 16


def _log_bernoulli(x, logits):
    """``sum_i log Bernoulli(x_i; sigmoid(logits_i))`` per row, stable."""
    return -(x * np.logaddexp(0.0, -logits) + (1.0 - x) * np.logaddexp(0.0, logits)).sum(axis=-1)


class DeepBeliefNet(LayeredEstimatorMixin):
    """Greedy stack of :class:`boltz.rbm.BernoulliRBM` (Bernoulli units throughout).

    A scikit-learn transformer (:mod:`boltz.dbm.estimator`): ``fit(X, y=None)``,
    ``transform`` (the up-pass), ``score`` (mean exact log-likelihood, small
    nets only: each layer below the top at most 16 units and the top RBM's
    ``log Z`` exact).

    Parameters
    ----------
    n_hidden : sequence of int
        Hidden layer sizes, bottom first (one or more).
    n_epochs, learning_rate, batch_size, method, k, momentum, weight_decay :
        Passed to every :class:`~boltz.rbm.BernoulliRBM` (``method`` is
        ``"cd"`` or ``"pcd"``).
    seed : int, Generator or None
    verbose : bool
        Progress bars of the RBMs' training.
    binarize : float or None
        ``None``: ``X`` must be binary. A number ``t``: ``X`` (any reals) is
        replaced by ``X > t`` in ``fit``, ``transform`` and ``score``.

    Attributes
    ----------
    rbms_ : list of BernoulliRBM
        The trained stack, bottom first.

    Examples
    --------
    >>> import numpy as np
    >>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
    >>> dbn = DeepBeliefNet((3, 2), n_epochs=1, batch_size=20, seed=0).fit(X)
    >>> [rbm.W_.shape for rbm in dbn.rbms_]
    [(6, 3), (3, 2)]
    """

    def __init__(self, n_hidden=(500, 500), *, n_epochs: int = 10, learning_rate: float = 0.05,
                 batch_size: int = 100, method: str = "cd", k: int = 1, momentum: float = 0.5,
                 weight_decay: float = 0.0, seed=None, verbose: bool = False, binarize=None):
        self.binarize = binarize
        self.n_hidden = n_hidden
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.method = method
        self.k = k
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.seed = seed
        self.verbose = verbose

    # ------------------------------------------------------------------
    def _rbm_params(self, n_epochs=None):
        return dict(method=check_choice(self.method, "method", {"cd", "pcd"}), k=self.k,
                    learning_rate=self.learning_rate, batch_size=self.batch_size,
                    momentum=self.momentum, weight_decay=self.weight_decay,
                    n_epochs=self.n_epochs if n_epochs is None else n_epochs,
                    monitor_every=0, verbose=self.verbose)

    def _is_fitted(self) -> bool:
        return bool(getattr(self, "rbms_", None))

    @property
    def layer_sizes_(self) -> tuple:
        """``(n_visible, n_1, ..., n_L)``."""
        self._check_fitted()
        return (self.rbms_[0].n_visible_, *(r.n_hidden for r in self.rbms_))

    @property
    def weights_(self) -> list:
        """Weight matrices of the stack, bottom first (``(n_{l-1}, n_l)``)."""
        self._check_fitted()
        return [r.W_ for r in self.rbms_]

    def _check_input(self, X, name="X"):
        self._check_fitted()
        X = check_binary(X, name, shape=(None, self.layer_sizes_[0]))
        return X

    def _propagate(self, data, rbm, rng):
        """Samples of ``q(h | data)`` under ``rbm`` (the next layer's training data)."""
        p = sigmoid(data @ rbm.W_.astype(np.float64) + rbm.hidden_bias_)
        return (rng.random(p.shape) < p).astype(np.float64)

    # ------------------------------------------------------------------
    def _fit_binary(self, X):
        """Train the stack greedily, bottom first, on binary ``X`` (see ``fit``)."""
        sizes = check_hidden_sizes(self.n_hidden, min_layers=1)
        if self.binarize is not None:
            check_finite_scalar(self.binarize, "binarize")
        X = np.asarray(X, np.float64)
        check_nonnegative_int(self.n_epochs, "n_epochs")
        rng = check_rng(self.seed)
        self.rbms_ = []
        data = X
        for n_h in sizes:
            self._train_new_rbm(data, n_h, None, self.n_epochs, rng)
            data = self._propagate(data, self.rbms_[-1], rng)
        return self

    def _train_new_rbm(self, data, n_h, init, n_epochs, rng):
        from .pretraining import train_rbm_scaled

        params = self._rbm_params(n_epochs)
        params.pop("n_epochs")
        rbm = train_rbm_scaled(data, n_h, n_epochs=n_epochs, seed=rng, init=init, **params)
        self.rbms_.append(rbm)
        return rbm

    def add_layer(self, X, n_hidden: int | None = None, init: str = "transpose",
                  n_epochs: int | None = None, seed=None):
        """Greedily add one RBM on top, trained on samples of ``q(h_top | X)``.

        ``init="transpose"`` starts the new RBM from the transposed top RBM
        (``n_hidden`` must then equal the top RBM's visible size, the default),
        so that the variational bound starts unchanged; ``"random"`` starts
        from small random weights. Returns ``self``.

        Parameters
        ----------
        X : array_like, shape (n, n_visible)
            Binary data.
        n_hidden : int, optional
            Units of the new layer (default: the top RBM's visible size).
        init : {"transpose", "random"}, default "transpose"
            Start of the new RBM.
        n_epochs : int, optional
            Its epochs (default: ``n_epochs``).
        seed : int, numpy.random.Generator or None
            Random seed.

        Returns
        -------
        DeepBeliefNet
            ``self``, one layer taller.

        Examples
        --------
        >>> import numpy as np
        >>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
        >>> dbn = DeepBeliefNet((3, 2), n_epochs=1, batch_size=20, seed=0)
        >>> len(dbn.fit(X).add_layer(X).rbms_)
        3
        """
        X = self._check_input(X)
        check_choice(init, "init", {"transpose", "random"})
        top = self.rbms_[-1]
        if n_hidden is None:
            n_hidden = top.n_visible_
        n_hidden = check_positive_int(n_hidden, "n_hidden")
        n_epochs = self.n_epochs if n_epochs is None else check_nonnegative_int(n_epochs,
                                                                                "n_epochs")
        rng = check_rng(self.seed if seed is None else seed)
        data = X
        for rbm in self.rbms_:
            data = self._propagate(data, rbm, rng)
        start = None
        if init == "transpose":
            if n_hidden != top.n_visible_:
                raise ValueError(f"init='transpose' needs n_hidden={top.n_visible_} (the top RBM's "
                                 f"visible size), got {n_hidden}")
            start = (top.W_.T.copy(), top.hidden_bias_.copy(), top.visible_bias_.copy())
        self._train_new_rbm(data, n_hidden, start, n_epochs, rng)
        self.n_hidden = (*tuple(self.n_hidden), n_hidden)
        return self

    def _features(self, X) -> np.ndarray:
        """Top-layer features: the up-pass of hidden probabilities through the stack."""
        x = np.asarray(X, np.float64)
        for rbm in self.rbms_:
            x = sigmoid(x @ rbm.W_.astype(np.float64) + rbm.hidden_bias_)
        return x

    def sample(self, n: int = 100, n_steps: int = 1000, seed=None,
               progress: bool = False) -> np.ndarray:
        """Generate: Gibbs in the top RBM for ``n_steps`` sweeps, then a directed down pass.

        Parameters
        ----------
        n : int, default 100
            Number of samples.
        n_steps : int, default 1000
            Gibbs sweeps in the top RBM.
        seed : int, numpy.random.Generator or None
            Random seed.
        progress : bool, default False
            Show a tqdm bar over the Gibbs sweeps.

        Returns
        -------
        numpy.ndarray, shape (n, n_visible)
            The visible probabilities ``p(v | h_1)`` of the final down pass.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.dbm import DeepBeliefNet
        >>> X = (np.random.default_rng(0).random((100, 6)) < 0.3).astype(float)
        >>> dbn = DeepBeliefNet((4, 3), n_epochs=1, batch_size=20, seed=0).fit(X)
        >>> dbn.sample(5, n_steps=10, seed=0).shape
        (5, 6)
        """
        self._check_fitted()
        n = check_positive_int(n, "n")
        n_steps = check_positive_int(n_steps, "n_steps")
        if not isinstance(progress, (bool, np.bool_)):
            raise TypeError(f"progress must be True or False, got {progress!r}")
        rng = check_rng(seed)
        top = self.rbms_[-1]
        x = top.sample(n, seed=rng, n_steps=n_steps, progress=bool(progress))
        if len(self.rbms_) == 1:
            return sigmoid(top.sample_hidden(x, seed=rng) @ top.W_.T.astype(np.float64)
                           + top.visible_bias_)
        p = x
        for rbm in reversed(self.rbms_[:-1]):
            p = sigmoid(x @ rbm.W_.T.astype(np.float64) + rbm.visible_bias_)
            x = (rng.random(p.shape) < p).astype(np.float64)
        return p

    # ------------------------------------------------------------------
    def variational_bound(self, X) -> np.ndarray:
        """Exact variational lower bound on ``log p(v)`` per row (small nets only).

        Enumerates every hidden layer below the top RBM (at most 16 units
        each) and uses the top RBM's exact ``log Z``; recursively,
        ``B_l(x) = sum_h q_l(h|x) [log p_l(x|h) - log q_l(h|x) + B_{l+1}(h)]``
        with ``B_top`` the top RBM's exact log-likelihood. With one RBM this
        is its exact log-likelihood.

        Parameters
        ----------
        X : array_like, shape (n, n_visible)
            Binary data.

        Returns
        -------
        numpy.ndarray, shape (n,)
            The bound per row.

        Examples
        --------
        >>> import numpy as np
        >>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
        >>> dbn = DeepBeliefNet((3, 2), n_epochs=1, batch_size=20, seed=0)
        >>> dbn = dbn.fit(X)
        >>> bool(np.all(dbn.variational_bound(X[:3]) <= dbn.exact_log_likelihood(X[:3]) + 1e-9))
        True
        """
        from ..exact import all_states

        x = self._check_input(X)
        self._check_enumerable()

        def bound(level, data):
            rbm = self.rbms_[level]
            if level == len(self.rbms_) - 1:
                return -rbm.free_energy(data) - rbm.log_partition()
            W = rbm.W_.astype(np.float64)
            H = all_states(rbm.n_hidden)
            upper = bound(level + 1, H)                                   # (S,)
            u = data @ W + rbm.hidden_bias_                                # (n, n_h)
            log_q = (H[None] * -np.logaddexp(0, -u)[:, None]
                     + (1 - H[None]) * -np.logaddexp(0, u)[:, None]).sum(-1)  # (n, S)
            down = H @ W.T + rbm.visible_bias_                             # (S, n_v)
            log_px = np.stack([_log_bernoulli(row, down) for row in data])  # (n, S)
            q = np.exp(log_q)
            return (q * (log_px - log_q + upper[None])).sum(axis=1)

        return bound(0, x)

    def exact_log_likelihood(self, X) -> np.ndarray:
        """Exact ``log p(v)`` of the generative model per row (small nets only).

        ``log p_l(x) = logsumexp_h [log p_l(x | h) + log p_{l+1}(h)]`` down the
        stack, with the top RBM's exact marginal at the top.

        Parameters
        ----------
        X : array_like, shape (n, n_visible)
            Binary data.

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``log p(v)`` per row.

        Examples
        --------
        >>> import numpy as np
        >>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
        >>> dbn = DeepBeliefNet((3, 2), n_epochs=1, batch_size=20, seed=0)
        >>> dbn = dbn.fit(X)
        >>> dbn.exact_log_likelihood(X[:3]).shape
        (3,)
        """

        return self._log_likelihood(self._check_input(X))

    def _log_likelihood(self, x):
        from ..exact import all_states

        self._check_enumerable()

        def loglik(level, data):
            rbm = self.rbms_[level]
            if level == len(self.rbms_) - 1:
                return -rbm.free_energy(data) - rbm.log_partition()
            H = all_states(rbm.n_hidden)
            prior = loglik(level + 1, H)
            down = H @ rbm.W_.T.astype(np.float64) + rbm.visible_bias_
            log_px = np.stack([_log_bernoulli(row, down) for row in data])
            return special.logsumexp(log_px + prior[None], axis=1)

        return loglik(0, x)

    def _check_enumerable(self):
        for rbm in self.rbms_[:-1]:
            if rbm.n_hidden > _MAX_ENUM_UNITS:
                raise ValueError(f"exact bounds enumerate each hidden layer below the top; a layer "
                                 f"of {rbm.n_hidden} units exceeds {_MAX_ENUM_UNITS}")

    # ------------------------------------------------------------------
    def save(self, path):
        """Save the stack (``.npz`` + JSON, no pickle); returns the path written.

        Parameters
        ----------
        path : str or os.PathLike
            Target file.

        Returns
        -------
        pathlib.Path
            The path written.

        Examples
        --------
        >>> import numpy as np
        >>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
        >>> dbn = DeepBeliefNet((3, 2), n_epochs=1, batch_size=20, seed=0)
        >>> import os, tempfile
        >>> path = dbn.fit(X).save(os.path.join(tempfile.mkdtemp(), "dbn.npz"))
        >>> len(DeepBeliefNet.load(path).rbms_)
        2
        """
        from ..io import save_model

        self._check_fitted()
        arrays = {}
        for l, r in enumerate(self.rbms_):
            arrays[f"W{l}"] = r.W_
            arrays[f"a{l}"] = r.visible_bias_
            arrays[f"c{l}"] = r.hidden_bias_
        params = self.get_params()
        params["n_hidden"] = list(self.layer_sizes_[1:])
        if not isinstance(params["seed"], (int, type(None))):
            params["seed"] = None
        return save_model(path, MODEL_KIND, arrays, params, {"n_rbms": len(self.rbms_)})

    @classmethod
    def load(cls, path):
        """Load a stack written by :meth:`save`; ``ModelFileError`` for bad files.

        Parameters
        ----------
        path : str or os.PathLike
            A file written by :meth:`save`.

        Returns
        -------
        DeepBeliefNet
            The fitted stack.

        Examples
        --------
        >>> import numpy as np
        >>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
        >>> dbn = DeepBeliefNet((3, 2), n_epochs=1, batch_size=20, seed=0)
        >>> import os, tempfile
        >>> path = dbn.fit(X).save(os.path.join(tempfile.mkdtemp(), "dbn.npz"))
        >>> DeepBeliefNet.load(path).transform(X[:1]).shape
        (1, 2)
        """
        from ..io import ModelFileError, load_model
        from ..rbm import BernoulliRBM

        try:
            arrays, meta = load_model(path, MODEL_KIND)
        except TypeError as exc:
            raise ModelFileError(f"{path}: not a boltz model file ({exc})") from None
        try:
            model = cls(**meta["params"])
            model.rbms_ = [
                BernoulliRBM.from_params(arrays[f"W{l}"], arrays[f"a{l}"], arrays[f"c{l}"])
                for l in range(int(meta["extra"]["n_rbms"]))]
            for l in range(1, len(model.rbms_)):
                if model.rbms_[l].n_visible_ != model.rbms_[l - 1].n_hidden:
                    raise ValueError(f"RBM {l} does not stack on RBM {l - 1}")
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: malformed {MODEL_KIND} file ({exc})") from None
        return model
