"""Dask: independent jobs on a LocalCluster of two worker processes equal the serial run.

Each job carries its seed (Ising run k: seed + k; AIS chunk i: child generator i of the
seed), so the results are identical, not merely statistically equal.
"""

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def _models():
    from boltz.ising import IsingLattice

    return [IsingLattice(6, temperature=T) for T in (1.8, 2.3, 2.8)]


def test_ising_scan_on_two_workers_equals_serial(client):
    from boltz.ising import scan

    serial = scan(_models(), "metropolis", n_sweeps=150, n_chains=2, seed=4)
    dask = scan(_models(), "metropolis", n_sweeps=150, n_chains=2, seed=4, client=client)
    assert len(client.scheduler_info()["workers"]) == 2
    for a, b in zip(serial, dask, strict=True):
        assert a.temperature == b.temperature
        np.testing.assert_array_equal(a.final_spins, b.final_spins)
        for name in ("energy", "abs_magnetization", "susceptibility"):
            assert getattr(a, name).mean == getattr(b, name).mean
            assert getattr(a, name).error == getattr(b, name).error
    # control: another seed changes the runs, so the equality is not vacuous
    other = scan(_models()[:1], "metropolis", n_sweeps=150, n_chains=2, seed=5)
    assert not np.array_equal(other[0].final_spins, serial[0].final_spins)


def test_ais_chunks_on_two_workers_equal_serial(client):
    from boltz.rbm import BernoulliRBM
    from boltz.rbm.ais import ais_log_partition

    rng = np.random.default_rng(0)
    rbm = BernoulliRBM.from_params(0.4 * rng.standard_normal((8, 3)), rng.standard_normal(8),
                                   rng.standard_normal(3))
    serial = ais_log_partition(rbm, n_runs=120, n_betas=100, seed=2, n_workers=1)
    dask = ais_log_partition(rbm, n_runs=120, n_betas=100, seed=2, client=client)
    np.testing.assert_array_equal(serial.log_weights, dask.log_weights)
    assert serial.log_z == dask.log_z and serial.log_z_std == dask.log_z_std


def test_scan_and_connect_check_their_input():
    from boltz.distributed import connect
    from boltz.ising import scan

    with pytest.raises(ValueError, match="models"):
        scan([], "metropolis")
    with pytest.raises(TypeError, match="seed"):
        scan(_models(), "metropolis", seed=1.5)
    with pytest.raises(ValueError, match="local:N"):
        connect("local:two")
    with pytest.raises(TypeError, match="address"):
        connect("")


@pytest.mark.parametrize("extra", [["--dask", "local:x"], ["--dask", "local:2", "--device", "cpu"]])
def test_ising_cli_dask_bad_input_exits_2(extra, capsys):
    from boltz.cli import main

    code = main(["ising", "--L", "4", "--sweeps", "10", "--quiet"] + extra)
    err = capsys.readouterr().err.strip()
    assert code == 2 and "dask" in err.lower() and len(err.splitlines()) == 1, err
