"""boltz.distributed: communicators, and the distributed paths against one process.

Two gloo ranks are spawned once for the module (``all_checks`` in
tests/_distributed_workers.py runs AIS, parallel tempering and the data-parallel fit on
each); every result is compared with the same call in this process:

- AIS: log-weights identical (each chunk of runs keeps its generator), so the same
  estimate and error bar; and the estimate within 3 sigma of the exact log Z.
- parallel tempering: identical (each chain keeps its stream, swaps use the shared
  generator); the cold-rung averages within error bars of enumeration.
- fit with exact score matching: the loss curve equal up to float rounding (the global
  batch is split in two and the gradient is the weighted sum of the halves').
- data-parallel RBM (NumPy and torch, CD and PCD) and DBM joint training: the parameters
  equal up to float32 summation order (1e-6), the persistent chains identical (each rank
  draws for its rows and chains the random numbers one process draws for them); a
  control whose ranks skip the all-reduce differs by more than 1e-3.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _distributed_workers as workers  # noqa: E402

from boltz.distributed import (  # noqa: E402
    Communicator,
    LocalCommunicator,
    get_communicator,
    map_jobs,
    shard_range,
)


class FakeComm:
    """rank/world_size only, for shard_range (no collectives are called)."""

    def __init__(self, rank, world_size):
        self.rank, self.world_size = rank, world_size

    def all_reduce_sum(self, x):
        raise AssertionError("not used")

    all_gather = broadcast = all_reduce_sum


def test_local_communicator_is_identity():
    comm = get_communicator(None)
    assert isinstance(comm, LocalCommunicator) and isinstance(comm, Communicator)
    x = np.arange(3.0)
    assert comm.all_reduce_sum(x) is x and comm.all_gather(x)[0] is x
    assert comm.broadcast(x) is x
    with pytest.raises(ValueError, match="src"):
        comm.broadcast(x, src=1)


def test_get_communicator_rejects_bad_input():
    with pytest.raises(TypeError, match="comm must be"):
        get_communicator("gloo")
    with pytest.raises(ValueError, match="rank"):
        get_communicator(FakeComm(2, 2))


@pytest.mark.parametrize("n", [0, 1, 7, 10])
@pytest.mark.parametrize("world_size", [1, 2, 3, 4])
def test_shard_range_partitions(n, world_size):
    blocks = [shard_range(n, FakeComm(r, world_size)) for r in range(world_size)]
    assert blocks[0][0] == 0 and blocks[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:], strict=False))
    sizes = [hi - lo for lo, hi in blocks]
    assert max(sizes) - min(sizes) <= 1


def test_map_jobs_serial_in_order_and_checks():
    assert map_jobs(abs, [-3, 1, -2]) == [3, 1, 2]
    with pytest.raises(TypeError, match="func"):
        map_jobs(3, [1])
    with pytest.raises(TypeError, match="client"):
        map_jobs(abs, [1], client=object())


@pytest.fixture(scope="module")
def ranks():
    """Two gloo ranks, started once: each imports torch, boltz.deep and the numba kernels
    (about 15 s of CPU per rank; 75 s of wall time at load average 9 on 2 cores)."""
    pytest.importorskip("torch")
    from boltz.distributed import spawn_ranks

    return spawn_ranks(workers.all_checks, 2, timeout=600)


@pytest.mark.slow
def test_collectives_on_two_gloo_ranks(ranks):
    for out in ranks:
        c = out["collectives"]
        assert [g.tolist() for g in c["gathered"]] == [[0.0], [10.0, 11.0]]
        assert c["sum"].tolist() == [1, 2] and c["sum"].dtype == np.int64
        assert c["float_sum"] == 2.0
        assert c["tensor_sum"].tolist() == [3.0, 3.0]
        assert c["broadcast"].tolist() == [6.0]


@pytest.mark.slow
def test_ais_on_two_ranks_equals_one_process(ranks):
    single = workers.run_ais()
    for out in ranks:
        assert out["world_size"] == 2
        np.testing.assert_array_equal(out["ais_log_weights"], single.log_weights)
        assert out["ais_log_z"] == single.log_z and out["ais_log_z_std"] == single.log_z_std
    exact = workers.ais_model().log_partition()
    assert abs(single.log_z - exact) < 3 * single.log_z_std + 1e-3
    # control: another seed gives other weights, so the equality above is not vacuous
    from boltz.rbm.ais import ais_log_partition

    other = ais_log_partition(workers.ais_model(), n_runs=160, n_betas=200, seed=8)
    assert not np.array_equal(other.log_weights, single.log_weights)


def _exact_cold_rung():
    from boltz.exact import all_states
    from boltz.ising import IsingLattice

    s = all_states(9, support=(-1, 1))
    h = IsingLattice(3, temperature=1.0).hamiltonian(s.reshape(-1, 3, 3))

    def at(beta):
        w = np.exp(-beta * (h - h.min()))
        w /= w.sum()
        return np.array([w @ h, w @ (s[:, 0] * s[:, 1])])
    return at


@pytest.mark.slow
def test_parallel_tempering_on_two_ranks_equals_one_process(ranks):
    single = workers.run_pt()
    np.testing.assert_array_equal(ranks[0]["pt"]["means"], single["means"])
    np.testing.assert_array_equal(ranks[1]["pt"]["means"], single["means"])
    spins = np.concatenate([ranks[0]["pt"]["spins"], ranks[1]["pt"]["spins"]])
    np.testing.assert_array_equal(spins, single["spins"])
    assert ranks[0]["pt"]["block"] == (0, 16) and ranks[1]["pt"]["block"] == (16, 32)
    np.testing.assert_array_equal(ranks[0]["pt"]["swap_rates"], single["swap_rates"])


@pytest.mark.slow
def test_parallel_tempering_on_two_ranks_matches_enumeration(ranks):
    means = ranks[0]["pt"]["means"]               # 8 independent replica sets
    est, se = means.mean(0), means.std(0, ddof=1) / np.sqrt(means.shape[0])
    exact = _exact_cold_rung()
    assert np.all(np.abs(est - exact(workers.PT_BETAS[-1])) < 4 * se), (est, se)
    # control: the next rung's exact values are far outside these error bars
    assert np.any(np.abs(est - exact(workers.PT_BETAS[-2])) > 4 * se)


@pytest.mark.slow
def test_data_parallel_fit_on_two_ranks_matches_loss_curve(ranks):
    single = workers.run_fit()
    for out in ranks:
        # equal up to float64 rounding: the two half-batch means are combined by weights
        np.testing.assert_allclose(out["fit"]["losses"], single["losses"], rtol=1e-12,
                                   atol=1e-12)
        for a, b in zip(out["fit"]["params"], single["params"], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert single["losses"][-1] < single["losses"][0]   # it trained


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(workers.RBM_CASES))
def test_data_parallel_rbm_on_two_ranks_equals_one_process(ranks, case):
    single = workers.run_rbm(case)
    for out in ranks:
        # float32 parameters equal up to the order of the float sums (the statistics of
        # the two halves are added): a few ulps after 15 updates
        for a, b in zip(out["data_parallel"]["rbm"][case]["params"], single["params"],
                        strict=True):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    if single["chain_h"] is not None:  # PCD: each rank advanced its 4 of the 8 chains, with
        # the random numbers of one process: the same 0/1 states
        chains = [out["data_parallel"]["rbm"][case]["chain_h"] for out in ranks]
        assert [c.shape[0] for c in chains] == [4, 4]
        np.testing.assert_array_equal(np.concatenate(chains), single["chain_h"])


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(workers.DBM_CASES))
def test_data_parallel_dbm_on_two_ranks_equals_one_process(ranks, case):
    single = workers.run_dbm(case)
    for out in ranks:
        got = out["data_parallel"]["dbm"][case]
        for a, b in zip(got["params"], single["params"], strict=True):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
        for a, b in zip(got["chains"], single["chains"], strict=True):  # all chains gathered
            np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_data_parallel_control_without_all_reduce_diverges(ranks):
    """Ranks that skip the all-reduce train on half the statistics each: far outside the
    1e-6 agreement above, so that agreement is not vacuous."""
    rbm, dbm = workers.run_rbm("torch_pcd"), workers.run_dbm("numpy_centred")
    for out in ranks:
        dp = out["data_parallel"]
        assert np.abs(dp["rbm_skip_reduce"]["params"][0] - rbm["params"][0]).max() > 1e-3
        assert np.abs(dp["dbm_skip_reduce"]["params"][0] - dbm["params"][0]).max() > 1e-3


def test_data_parallel_rbm_dbm_refuse_bad_input():
    """World size not dividing batch_size / n_chains, PT, checkpoints: ValueError naming the
    argument before any collective is called (FakeComm raises on one)."""
    from boltz.dbm import DeepBoltzmannMachine, train_dbm
    from boltz.rbm import BernoulliRBM

    X, _ = workers.rbm_data()
    comm = FakeComm(0, 2)
    for kw, name in [(dict(batch_size=15), "batch_size"), (dict(n_chains=7), "n_chains"),
                     (dict(method="pt"), "method='pt'")]:
        settings = dict(batch_size=20, n_chains=8, n_epochs=1, seed=0) | kw
        with pytest.raises(ValueError, match=name):
            BernoulliRBM(3, **settings).fit(X, comm=comm)
    with pytest.raises(ValueError, match="last minibatch of 1 rows"):
        BernoulliRBM(3, batch_size=8, n_chains=8, n_epochs=1).fit(X[:81], comm=comm)
    with pytest.raises(ValueError, match="checkpoint is not supported with comm"):
        BernoulliRBM(3, batch_size=20, n_chains=8).fit(X, comm=comm, checkpoint="x.npz")
    dbm = DeepBoltzmannMachine.from_parameters([np.zeros((12, 3)), np.zeros((3, 2))])
    for kw, name in [(dict(batch_size=15), "batch_size"), (dict(n_chains=7), "n_chains"),
                     (dict(checkpoint="x.npz"), "checkpoint is not supported")]:
        settings = dict(batch_size=20, n_chains=8, n_epochs=1, seed=0) | kw
        with pytest.raises(ValueError, match=name):
            train_dbm(dbm, X, comm=comm, **settings)


@pytest.mark.slow
def test_halo_exchange_lattice_on_two_ranks_equals_one_process(ranks):
    single, rows = workers.run_halo()
    assert rows == 6
    for out in ranks:
        lattice, rows = out["halo"]
        assert rows == 3                                  # a strip of 3 rows per rank
        np.testing.assert_array_equal(lattice, single)


def test_halo_metropolis_matches_enumeration():
    """The strip sampler (one process, its halo its own periodic rows) samples the
    4 x 4 Ising model: the per-chain mean energies (64 independent chains) agree with
    enumeration; control: not with the exact value at another temperature."""
    from boltz.distributed.halo import halo_metropolis, split_lattice
    from boltz.exact import all_states
    from boltz.ising import IsingLattice

    model = IsingLattice(4)
    states = all_states(16, support=(-1, 1)).reshape(-1, 4, 4)
    h = model.hamiltonian(states)

    def exact(beta):
        w = np.exp(-beta * (h - h.min()))
        return float(w @ h / w.sum())

    rng = np.random.default_rng(0)
    strip, first = split_lattice(rng.choice(np.array([-1, 1], np.int8), size=(64, 4, 4)))
    strip = halo_metropolis(strip, first, 0.35, n_sweeps=100, seed=1)
    energies = []
    for k in range(1, 151):
        strip = halo_metropolis(strip, first, 0.35, n_sweeps=3, seed=1, sweep_offset=97 + 3 * k)
        energies.append(model.hamiltonian(strip))
    per_chain = np.mean(energies, axis=0)
    est, se = per_chain.mean(), per_chain.std(ddof=1) / np.sqrt(per_chain.size)
    assert abs(est - exact(0.35)) < 4 * se, (est, se, exact(0.35))
    assert abs(est - exact(0.45)) > 4 * se


def test_halo_checks_input():
    from boltz.distributed.halo import halo_metropolis, split_lattice

    with pytest.raises(ValueError, match="L even"):
        split_lattice(np.ones((1, 5, 5)))
    with pytest.raises(ValueError, match="spins"):
        split_lattice(np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match="n_sweeps"):
        halo_metropolis(np.ones((1, 4, 4)), 0, 0.3, n_sweeps=0)


def test_ais_rank_without_chunks_contributes_nothing():
    """100 runs are 2 chunks of 50; over 3 ranks the last one anneals none and still
    takes part in the gather (a stand-in communicator plays ranks 0 and 1)."""
    from boltz.rbm.ais import ais_log_partition

    model = workers.ais_model()
    ref = ais_log_partition(model, n_runs=100, n_betas=200, seed=7, n_workers=1)

    class LastOfThree(FakeComm):
        def all_gather(self, x):
            assert x.shape == (0,)
            return [ref.log_weights[:50], ref.log_weights[50:], x]

    out = ais_log_partition(model, n_runs=100, n_betas=200, seed=7, comm=LastOfThree(2, 3))
    np.testing.assert_array_equal(out.log_weights, ref.log_weights)


class Recorder(FakeComm):
    """Plays one rank of a 2-rank group in this process: all_gather returns this rank's
    part beside the other rank's, recorded from an earlier call (``parts``)."""

    def __init__(self, rank, parts):
        super().__init__(rank, 2)
        self.parts, self.calls = parts, 0

    def all_gather(self, x):
        self.parts.setdefault(self.rank, []).append(x)
        other = self.parts.get(1 - self.rank, [])
        mine = x
        theirs = other[self.calls] if self.calls < len(other) else np.zeros((0,) + x.shape[1:])
        self.calls += 1
        return [mine, theirs] if self.rank == 0 else [theirs, mine]


def test_dbm_ais_split_over_two_ranks_matches_exact_log_z():
    """DBM AIS has one stream per rank (not per chunk), so two ranks give other weights
    than one process: the estimate is checked against the exact log Z within its error
    bars, and each rank's runs equal a one-process run from child ``rank`` of the seed."""
    from boltz.dbm import DeepBoltzmannMachine
    from boltz.dbm.ais import ais_log_partition
    from boltz.dbm.exact import exact_log_partition

    rng = np.random.default_rng(0)
    dbm = DeepBoltzmannMachine.from_parameters([0.5 * rng.standard_normal((6, 4)),
                                                0.5 * rng.standard_normal((4, 3))])
    parts = {}
    ais_log_partition(dbm, n_chains=80, n_betas=1000, seed=1, comm=Recorder(1, parts))
    res, states = ais_log_partition(dbm, n_chains=80, n_betas=1000, seed=1,
                                    comm=Recorder(0, parts), return_states=True)
    assert res.log_weights.shape == (80,) and states[0].shape == (80, 6)
    children = np.random.default_rng(1).spawn(2)
    alone = ais_log_partition(dbm, n_chains=40, n_betas=1000, seed=children[1])
    np.testing.assert_array_equal(res.log_weights[40:], alone.log_weights)
    exact = exact_log_partition(dbm)
    assert abs(res.log_z - exact) < 3 * res.log_z_std + 0.01, (res.log_z, res.log_z_std, exact)
    assert abs(res.log_z - (exact + 0.1)) > 3 * res.log_z_std + 0.01    # control
    with pytest.raises(ValueError, match="n_chains"):
        ais_log_partition(dbm, n_chains=1, n_betas=10, seed=1, comm=FakeComm(0, 2))
