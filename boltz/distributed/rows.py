"""Rows of one global array split over ranks, with the random numbers of one process.

Data-parallel training of the RBM and DBM splits each global minibatch and the
persistent chains over ranks by rows (:func:`~boltz.distributed.shard_range`). A
:class:`RowShard` is one rank's block ``[lo, hi)`` of ``n`` global rows. Its
:meth:`RowShard.draw` makes a random draw of the rank's rows through the
single-process sampler on the global shape: the rank's rows are placed in a
zero array of all ``n`` rows, the sampler runs on it and the rank keeps its rows.
Every rank holds the same (replicated) generator, and the backends' samplers use
one random number per element in row-major order (torch's ``bernoulli``/``rand``,
the NumPy backend's counter-based uniforms), so rank ``r`` draws for its rows the
numbers one process draws for them, and the generator ends in the same state on
every rank. Sampling costs ``world_size`` times its share (elementwise work), the
matrix products stay split. :meth:`RowShard.mean` is the rank's part of a mean
over all rows (its row sum over ``n``), whose sum over ranks is the global mean.

Examples
--------
>>> import numpy as np
>>> shard = RowShard(4)
>>> shard.lo, shard.hi, shard.trivial
(0, 4, True)
>>> shard.mean(np.ones((4, 2))).tolist()
[1.0, 1.0]
"""

from __future__ import annotations

import numpy as np

from .comm import get_communicator, shard_range

__all__ = ["RowShard", "RowDraws", "check_divides", "global_max", "row_means",
           "start_data_parallel"]


def check_divides(value: int, name: str, comm) -> int:
    """``value`` if ``comm.world_size`` divides it, else a ``ValueError`` naming ``name``.

    Parameters
    ----------
    value : int
        A global count (minibatch rows, persistent chains).
    name : str
        The argument's name, for the message.
    comm : Communicator
        The ranks.

    Returns
    -------
    int
        ``value``.

    Examples
    --------
    >>> from boltz.distributed import LocalCommunicator
    >>> check_divides(10, "batch_size", LocalCommunicator())
    10
    """
    ws = comm.world_size
    if value % ws:
        raise ValueError(f"{name}={value} is not divisible by the {ws} ranks of comm; "
                         f"choose {name} a multiple of world_size={ws}")
    return value


def start_data_parallel(comm, X, batch_size: int, n_chains, params) -> None:
    """Checks and set-up shared by the data-parallel RBM and DBM trainers.

    Raises ``ValueError`` naming ``batch_size`` or ``n_chains`` when ``world_size``
    does not divide it, or when the last minibatch of an epoch would leave a rank
    without rows, or when the ranks were given different ``X``; then copies rank 0's
    ``params`` (arrays, in place) to every rank. Nothing happens in one process.

    Parameters
    ----------
    comm : Communicator
        The ranks.
    X : numpy.ndarray
        The training data of this rank (must be the same on every rank).
    batch_size : int
        Rows of a global minibatch.
    n_chains : int or None
        Persistent chains (``None``: none, e.g. CD).
    params : iterable of numpy.ndarray
        The model's parameter arrays.

    Examples
    --------
    >>> from boltz.distributed import LocalCommunicator
    >>> start_data_parallel(LocalCommunicator(), np.zeros((5, 2)), 2, 4, [])
    """
    ws = comm.world_size
    if ws == 1:
        return
    check_divides(batch_size, "batch_size", comm)
    if n_chains is not None:
        check_divides(n_chains, "n_chains", comm)
    last = X.shape[0] % batch_size
    if 0 < last < ws:
        raise ValueError(f"batch_size={batch_size} leaves a last minibatch of {last} rows "
                         f"({X.shape[0]} samples), fewer than the {ws} ranks of comm; choose "
                         "another batch_size")
    mine = np.array([X.shape[0], X.shape[1], float(np.sum(X, dtype=np.float64))])
    if any(not np.array_equal(x, mine) for x in comm.all_gather(mine)):
        raise ValueError("data-parallel training needs the same X on every rank of comm "
                         "(each rank takes its rows of every global minibatch)")
    for arr in params:
        arr[...] = comm.broadcast(arr, src=0)


class RowShard:
    """This rank's block ``[lo, hi)`` of ``n`` global rows.

    Parameters
    ----------
    n : int
        Number of global rows.
    comm : Communicator, optional
        Default: one process (every row; every method is then the identity or
        the plain mean).

    Attributes
    ----------
    n, lo, hi : int
        Global rows and this rank's block.
    trivial : bool
        One process: the block is every row.

    Examples
    --------
    >>> RowShard(6).take(np.arange(6)).tolist()
    [0, 1, 2, 3, 4, 5]
    """

    def __init__(self, n: int, comm=None):
        self.comm = get_communicator(comm)
        self.n = int(n)
        self.lo, self.hi = shard_range(self.n, self.comm)
        self.trivial = self.comm.world_size == 1

    def take(self, x):
        """Rows ``lo .. hi - 1`` of the global array ``x`` (``x`` itself in one process).

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            ``n`` rows.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            A view of this rank's rows.

        Examples
        --------
        >>> RowShard(3).take(np.zeros((3, 2))).shape
        (3, 2)
        """
        return x if self.trivial else x[self.lo:self.hi]

    def pad(self, x):
        """``x`` (this rank's rows) placed at rows ``lo .. hi - 1`` of ``n`` zero rows.

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            ``hi - lo`` rows.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``n`` rows, of ``x``'s type, dtype and device.

        Examples
        --------
        >>> RowShard(2).pad(np.ones((2, 1))).tolist()
        [[1.0], [1.0]]
        """
        if self.trivial:
            return x
        shape = (self.n,) + tuple(x.shape[1:])
        full = x.new_zeros(shape) if hasattr(x, "new_zeros") else np.zeros(shape, x.dtype)
        full[self.lo:self.hi] = x
        return full

    def draw(self, sampler, *rows, **kwargs):
        """``sampler(*rows, **kwargs)`` run on the global shape; this rank's rows of its output.

        Parameters
        ----------
        sampler : callable
            Draws one random number per element of its first argument's rows (in
            row-major order); returns an array or a tuple of arrays with one row per
            input row.
        *rows : arrays
            This rank's rows of each row-indexed input (``None`` passes through).
        **kwargs
            Further arguments of ``sampler`` (not row-indexed).

        Returns
        -------
        array or tuple of arrays
            This rank's rows of what ``sampler`` returned.

        Examples
        --------
        >>> RowShard(2).draw(lambda x: x + 1, np.zeros((2, 1))).tolist()
        [[1.0], [1.0]]
        """
        if self.trivial:
            return sampler(*rows, **kwargs)
        out = sampler(*(None if r is None else self.pad(r) for r in rows), **kwargs)
        if isinstance(out, tuple):
            return tuple(self.take(o) for o in out)
        return self.take(out)

    def mean(self, x):
        """This rank's part of the mean over the ``n`` global rows: its rows' sum over ``n``.

        Summed over ranks (``comm.all_reduce_sum``) it is the global mean; in one
        process it is the mean itself.

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            This rank's rows (possibly none).

        Returns
        -------
        numpy.ndarray or torch.Tensor
            Shape ``x.shape[1:]``.

        Examples
        --------
        >>> RowShard(2).mean(np.array([[1.0], [3.0]])).tolist()
        [2.0]
        """
        if self.trivial:
            return x.mean(0)
        return x.sum(0) / self.n


def row_means(pairs, comm, local_mean, concat):
    """Means over the global rows of each ``(x, rows)``, every rank getting all of them.

    In one process (``rows`` ``None`` or trivial) ``local_mean(x)`` of each ``x`` (the
    backend's own mean, so the single-process numbers do not change); with several
    ranks each rank's parts (:meth:`RowShard.mean`) concatenated and summed over ranks
    in one all-reduce.

    Parameters
    ----------
    pairs : list of (array, RowShard or None)
        This rank's rows of each array and their shard.
    comm : Communicator
        The ranks.
    local_mean : callable
        ``x -> x.mean(0)`` of the backend.
    concat : callable
        Concatenation of 1-D arrays of the backend.

    Returns
    -------
    list of arrays
        The global means, in the order of ``pairs``.

    Examples
    --------
    >>> from boltz.distributed import LocalCommunicator
    >>> x = np.array([[1.0], [3.0]])
    >>> [m.tolist() for m in row_means([(x, None)], LocalCommunicator(), lambda a: a.mean(0),
    ...                                np.concatenate)]
    [[2.0]]
    """
    if comm.world_size == 1:
        return [local_mean(x) for x, _ in pairs]
    parts = [rows.mean(x) for x, rows in pairs]
    total = comm.all_reduce_sum(concat(parts))
    bounds = np.cumsum([0] + [x.shape[0] for x in parts])
    return [total[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def global_max(value: float, comm) -> float:
    """The largest ``value`` over the ranks of ``comm`` (``value`` in one process).

    Parameters
    ----------
    value : float
        This rank's value.
    comm : Communicator
        The ranks.

    Returns
    -------
    float
        The maximum over ranks (NaN if any rank's is NaN).

    Examples
    --------
    >>> from boltz.distributed import LocalCommunicator
    >>> global_max(0.5, LocalCommunicator())
    0.5
    """
    if comm.world_size == 1:
        return value
    values = np.concatenate(comm.all_gather(np.array([value], np.float64)))
    return float(np.nan if np.isnan(values).any() else values.max())


class RowDraws:
    """A DBM array backend whose Bernoulli draws are one rank's rows of a :class:`RowShard`.

    Every attribute is the wrapped backend's except :meth:`bernoulli`, which draws
    through :meth:`RowShard.draw` (the random numbers one process draws for these
    rows). Used for the persistent chains of data-parallel DBM training.

    Parameters
    ----------
    ops : backend
        :class:`boltz.dbm.backend.NumpyBackend` or the torch one.
    rows : RowShard
        The chains' shard.

    Examples
    --------
    >>> from boltz.dbm.backend import NumpyBackend
    >>> ops = RowDraws(NumpyBackend(0), RowShard(2))
    >>> ops.bernoulli(np.array([[0.0], [1.0]])).tolist()
    [[0.0], [1.0]]
    """

    def __init__(self, ops, rows):
        self._ops, self.rows = ops, rows

    def __getattr__(self, name):
        return getattr(self._ops, name)

    def bernoulli(self, p, shape=None, dtype=None):
        """0/1 draws ``u < p`` of this rank's rows ``p`` (``shape`` must be ``None``).

        Parameters
        ----------
        p : array
            Probabilities of this rank's rows.
        shape : None
            Other shapes are not row-sharded.
        dtype : optional
            Dtype of the draws (default ``p``'s).

        Returns
        -------
        array
            The draws.
        """
        if shape is not None:
            raise ValueError("RowDraws.bernoulli draws p's shape only (shape=None)")
        return self.rows.draw(self._ops.bernoulli, p, dtype=dtype)
