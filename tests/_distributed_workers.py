"""Functions run on each spawned gloo rank by tests/test_distributed.py (module level so
that the spawned processes can import them)."""

import numpy as np

PT_BETAS = (0.1, 0.25, 0.4, 0.55)


def ais_model():
    from boltz.rbm import BernoulliRBM

    rng = np.random.default_rng(3)
    return BernoulliRBM.from_params(0.5 * rng.standard_normal((10, 4)),
                                    rng.standard_normal(10), rng.standard_normal(4))


def run_ais(comm=None):
    from boltz.rbm.ais import ais_log_partition

    return ais_log_partition(ais_model(), n_runs=160, n_betas=200, seed=7, n_workers=1,
                             comm=comm)


def run_pt(comm=None, n_sweeps=500):
    """Parallel tempering of a 3 x 3 periodic Ising lattice; per replica set, the mean
    energy and the mean of s_0 s_1 at the coldest rung, and the final spins of this rank."""
    from boltz.ising import IsingLattice
    from boltz.samplers import hamiltonian
    from boltz.samplers.tempering import parallel_tempering

    model = IsingLattice(3, temperature=1.0)
    pt = parallel_tempering(model, PT_BETAS, base="metropolis", comm=comm)
    state = pt.init(n_replicas=8, seed=11)
    pt.step(state, 50)
    first, end = state.info["block"]
    sums = np.zeros((8, 2))
    counts = np.zeros(8)
    for _ in range(n_sweeps):
        pt.step(state, 1)
        chains = state.info["chain_at"][:, -1]           # coldest rung, per replica set
        mine = (chains >= first) & (chains < end)
        s = pt.spins_at(state, len(PT_BETAS) - 1).reshape(-1, 9).astype(np.float64)
        sums[mine, 0] += hamiltonian(model, s.reshape(-1, 3, 3))
        sums[mine, 1] += s[:, 0] * s[:, 1]
        counts[mine] += 1
    if comm is not None:
        sums, counts = comm.all_reduce_sum(sums), comm.all_reduce_sum(counts)
    spins = pt.spins(state)
    return {"means": sums / counts[:, None], "spins": spins, "block": (first, end),
            "swap_rates": pt.swap_rates(state)}


def run_fit(comm=None, n_steps=25):
    import torch

    from boltz.deep.energies import GaussianEnergy
    from boltz.deep.objectives import ScoreMatching
    from boltz.deep.training import fit

    torch.manual_seed(0)
    data = torch.randn(400, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    data = data * torch.tensor([2.0, 0.5], dtype=torch.float64) + 1.0
    model = GaussianEnergy([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], learnable=True)
    res = fit(model, ScoreMatching(), data, n_steps=n_steps, batch_size=64, lr=0.05, seed=5,
              progress=False, comm=comm)
    return {"losses": np.array(res.losses),
            "params": [p.detach().numpy().copy() for p in model.parameters()]}


def run_halo(comm=None):
    """A 6 x 6 lattice (4 chains) split in strips, 40 checkerboard sweeps, gathered."""
    from boltz.distributed.halo import gather_lattice, halo_metropolis, split_lattice

    spins = np.random.default_rng(2).choice(np.array([-1, 1], np.int8), size=(4, 6, 6))
    strip, first = split_lattice(spins, comm)
    strip = halo_metropolis(strip, first, beta=0.4, h=0.1, n_sweeps=40, seed=3, comm=comm)
    return gather_lattice(strip, comm), strip.shape[1]


def collectives(comm):
    """all_gather of uneven blocks, all_reduce_sum and broadcast of arrays, floats, tensors."""
    import torch

    r = comm.rank
    gathered = comm.all_gather(np.arange(r + 1, dtype=np.float64) + 10 * r)
    tensor = comm.all_reduce_sum(torch.full((2,), float(r + 1)))
    return {"gathered": gathered, "sum": comm.all_reduce_sum(np.array([r, 1], np.int64)),
            "float_sum": comm.all_reduce_sum(float(r) + 0.5), "tensor_sum": tensor.numpy(),
            "broadcast": comm.broadcast(np.array([r + 5.0]), src=1)}


class SkipReduce:
    """``comm`` whose ``all_reduce_sum`` returns this rank's values (the control: ranks that
    never combine their statistics)."""

    def __init__(self, comm):
        self.comm, self.rank, self.world_size = comm, comm.rank, comm.world_size

    def all_reduce_sum(self, x):
        return x

    def all_gather(self, x):
        return self.comm.all_gather(x)

    def broadcast(self, x, src=0):
        return self.comm.broadcast(x, src)


def rbm_data():
    rng = np.random.default_rng(0)
    return (rng.random((90, 12)) < 0.3).astype(np.float32), rng.normal(size=(90, 6))


#: data-parallel RBM fits: (kind, keywords); batch 20 (last minibatch of 10), 8 chains
RBM_CASES = {
    "numpy_pcd": ("bernoulli", dict(method="pcd", centering=True)),
    "torch_pcd": ("bernoulli", dict(method="pcd", device="cpu-torch", momentum=0.5,
                                    sparsity_target=0.2, sparsity_cost=0.1)),
    "torch_cd_dynamic": ("bernoulli", dict(method="cd", device="cpu-torch",
                                           binarize="dynamic")),
    "numpy_gaussian_learned_variance": ("gaussian", dict(method="pcd", learn_variance=True,
                                                         learning_rate=0.01)),
    "torch_categorical": ("categorical", dict(method="pcd", device="cpu-torch")),
}


def run_rbm(case, comm=None):
    """W, biases (and log-variance) and this rank's persistent hidden chains (PCD) after 3
    epochs of a small data-parallel RBM fit."""
    from boltz.rbm import BernoulliRBM, CategoricalRBM, GaussianBernoulliRBM

    kind, kw = RBM_CASES[case]
    Xb, Xg = rbm_data()
    settings = dict(n_epochs=3, batch_size=20, n_chains=8, seed=3, learning_rate=0.05)
    settings.update(kw)
    if kind == "bernoulli":
        model, X = BernoulliRBM(5, **settings), Xb * 0.8 + 0.1 if "binarize" in kw else Xb
    elif kind == "categorical":  # 4 variables of 3 categories, one-hot
        level = (Xg[:, :4] > 0).astype(int) + (Xg[:, :4] > 1)
        X = np.eye(3, dtype=np.float32)[level].reshape(-1, 12)
        model = CategoricalRBM(4, n_categories=3, **settings)
    else:
        model, X = GaussianBernoulliRBM(4, **settings), Xg
    model.fit(X, comm=comm)
    trainer = model._trainer
    chain_h = None if trainer.chain_h is None else trainer.bk.to_numpy(trainer.chain_h)
    return {"params": [a.copy() for a in model._param_arrays().values()], "chain_h": chain_h}


#: data-parallel DBM joint training: keywords of train_dbm
DBM_CASES = {
    "numpy_centred": dict(centering=True),
    "torch_persistent_dynamic": dict(device="cpu-torch", mean_field_init="persistent",
                                     binarize="dynamic"),
    "fit_with_pretraining": None,   # DeepBoltzmannMachine.fit: pretraining on every rank
}


def run_dbm(case, comm=None):
    """Weights, biases and all persistent chains after 2 epochs of DBM joint training."""
    from boltz.dbm import DeepBoltzmannMachine, train_dbm

    X, _ = rbm_data()
    X = X[:, :10]
    kw = DBM_CASES[case]
    if kw is None:
        model = DeepBoltzmannMachine((6, 4), pretrain_epochs=2, n_epochs=2, batch_size=20,
                                     n_chains=8, seed=0).fit(X, comm=comm)
        return {"params": [a.copy() for a in model.weights_ + model.biases_],
                "chains": model.chains_}
    if kw.get("binarize"):
        X = X * 0.8 + 0.1
    r = np.random.default_rng(1)
    model = DeepBoltzmannMachine.from_parameters(
        [0.1 * r.standard_normal((10, 6)).astype(np.float32),
         0.1 * r.standard_normal((6, 4)).astype(np.float32)])
    train_dbm(model, X, n_epochs=2, batch_size=20, n_chains=8, seed=3, learning_rate=0.05,
              comm=comm, **kw)
    return {"params": [a.copy() for a in model.weights_ + model.biases_],
            "chains": model.chains_}


def data_parallel_checks(comm):
    """Every data-parallel RBM/DBM fit, and the control that skips the all-reduce."""
    return {"rbm": {case: run_rbm(case, comm) for case in RBM_CASES},
            "dbm": {case: run_dbm(case, comm) for case in DBM_CASES},
            "rbm_skip_reduce": run_rbm("torch_pcd", SkipReduce(comm)),
            "dbm_skip_reduce": run_dbm("numpy_centred", SkipReduce(comm))}


def all_checks(comm):
    """Every distributed check of the test module in one spawn (each rank imports torch,
    numba kernels and boltz: seconds under load, so the ranks are started once)."""
    ais = run_ais(comm)
    return {"collectives": collectives(comm), "halo": run_halo(comm),
            "ais_log_weights": ais.log_weights, "ais_log_z": ais.log_z,
            "ais_log_z_std": ais.log_z_std, "pt": run_pt(comm), "fit": run_fit(comm),
            "data_parallel": data_parallel_checks(comm),
            "rank": comm.rank, "world_size": comm.world_size}
