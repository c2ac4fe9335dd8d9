"""The constructor parameters every RBM kind shares, written once.

:data:`RBM_PARAMETERS` holds them in numpydoc form; :func:`with_shared_parameters`
composes them into the docstrings of :class:`~boltz.rbm.base.RBMBase` and the
kinds of :mod:`boltz.rbm.kinds`, so Sphinx, ``help()`` and the numpydoc checks
see every parameter while the source states each one once.

Examples
--------
>>> from boltz.rbm import CategoricalRBM
>>> "random_state : int" in CategoricalRBM.__doc__
True
"""

from __future__ import annotations

import re

__all__ = ["RBM_PARAMETERS", "with_shared_parameters"]

#: The constructor parameters every RBM kind shares (all but ``n_hidden``,
#: ``learning_rate`` and a kind's own), in numpydoc form.
#: :func:`with_shared_parameters` puts them in place of a ``%(rbm_parameters)s`` line.
RBM_PARAMETERS = """\
method : {"pcd", "cd", "pt"}, default "pcd"
    Negative phase: contrastive divergence, persistent chains, or
    parallel tempering.
k : int, default 1
    Gibbs sweeps per negative phase.
n_epochs : int, default 10
    Passes over the data in :meth:`fit`.
batch_size : int, default 100
    Minibatch size.
n_chains : int or None, default None
    Persistent chains (PCD/PT); None uses ``batch_size``.
momentum : float or callable, default 0.5
    Momentum of the updates, or ``epoch -> momentum``.
weight_decay : float, default 0.0
    L2 penalty on ``W``.
centering : bool, default False
    Centred gradients (Montavon & Müller 2012).
binarize : {None, "dynamic"}, default None
    ``"dynamic"``: ``X`` holds probabilities and each minibatch is a fresh
    Bernoulli draw (Bernoulli visibles only).
sparsity_target : float or None, default None
    Target mean activation of the hidden units.
sparsity_cost : float, default 0.0
    Weight of the sparsity penalty.
lr_schedule : str or callable, default "constant"
    One of "constant", "linear", "exponential", "linear_time" (the linear
    decay spread over ``max_seconds``), or ``epoch -> learning rate``.
final_lr_fraction : float, default 0.01
    Last learning rate of a decaying schedule, as a fraction of the first.
max_seconds : float or None, default None
    Time budget: training ends after the epoch in which it runs out.
n_temperatures : int, default 10
    Number of tempered chains of ``method="pt"``.
init_std : float, default 0.01
    Standard deviation of the initial weights.
monitor_every : int, default 1
    Epochs between monitoring records in ``history_`` (0: never).
monitor_size : int, default 256
    Rows of the training (and validation) data that are monitored.
ais_every : int, default 0
    Epochs between AIS scores of ``X_val`` (0: never).
ais_runs : int, default 100
    AIS chains of those scores.
ais_betas : int, default 1000
    AIS temperatures of those scores.
early_stopping : bool, default False
    Stop when the validation score has not improved for ``patience`` checks.
patience : int, default 5
    See ``early_stopping``.
max_weight : float, default 500.0
    Weights beyond this raise :class:`DivergenceError`.
n_threads : int or None, default 1
    Threads of the NumPy backend's kernels (results identical for any count;
    BLAS stays on one thread during training).
device : str or None, default None
    None or ``"cpu"``: NumPy/numba; ``"cuda"``, ``"auto"``, ``"cpu-torch"`` or a
    torch device name: torch.
verbose : bool, default False
    Show a progress bar.
seed : int, numpy.random.Generator or None, default None
    Random seed.
n_components : int or None, default None
    scikit-learn's name for ``n_hidden``; wins when given.
n_iter : int or None, default None
    scikit-learn's name for ``n_epochs``; wins when given.
random_state : int, numpy.random.Generator or None, default None
    scikit-learn's name for ``seed``; wins when given.
"""


def _entries(text: str) -> list[tuple[str, str]]:
    """``(name, text)`` of each numpydoc entry of an unindented parameter list."""
    entries = []
    for line in text.splitlines(keepends=True):
        if line.strip() and not line[0].isspace():
            entries.append([line.split(":")[0].strip(), line])
        else:
            entries[-1][1] += line
    return [tuple(e) for e in entries]


def with_shared_parameters(doc: str) -> str:
    """``doc`` with its line ``%(rbm_parameters)s`` replaced by :data:`RBM_PARAMETERS`.

    A class applies it to its own docstring in its body,
    ``__doc__ = with_shared_parameters(__doc__)``. A parameter the docstring
    documents itself (a kind with another default) is not repeated from the shared
    text. The fragment takes the placeholder's indentation, so the result is
    ordinary numpydoc (Sphinx, ``help()`` and the numpydoc checks read it as written).

    Parameters
    ----------
    doc : str
        A docstring with the placeholder on a line of its own.

    Returns
    -------
    str
        The composed docstring.

    Examples
    --------
    >>> doc = with_shared_parameters('''Doc.
    ...
    ...     Parameters
    ...     ----------
    ...     k : int, default 5
    ...         Gibbs sweeps per negative phase.
    ...     %(rbm_parameters)s
    ...     ''')
    >>> "    n_epochs : int, default 10" in doc, doc.count("    k : int")
    (True, 1)
    """
    match = re.search(r"^([ \t]*)%\(rbm_parameters\)s[ \t]*\n", doc, re.M)
    if match is None:
        raise ValueError("the docstring has no %(rbm_parameters)s line")
    indent = match.group(1)
    own = set(re.findall(rf"^{indent}(\w+) :", doc, re.M))
    fragment = "".join(indent + line if line.strip() else line
                       for name, text in _entries(RBM_PARAMETERS) if name not in own
                       for line in text.splitlines(keepends=True))
    return doc[:match.start()] + fragment + doc[match.end():]
