import json
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from boltz.deep.buffers import ReplayBuffer  # noqa: E402
from boltz.deep.energies import GaussianMixtureEnergy  # noqa: E402
from boltz.deep.metrics import grid_kl, grid_points, mmd  # noqa: E402
from boltz.deep.toy import TOY_DENSITIES, make_toy  # noqa: E402

torch.set_num_threads(1)


@pytest.mark.parametrize("name", list(TOY_DENSITIES))
def test_toy_sampler_matches_its_log_density(name):
    toy = make_toy(name)
    pts, area = grid_points(toy.bounds, 48)
    p = np.exp(toy.log_density(pts)) * area
    assert p.sum() == pytest.approx(1.0, abs=2e-3)       # normalised (mass outside the box tiny)
    n = 20000
    x = toy.sample(n, seed=0)
    # chi-square on a 6x6 coarse grid, 35 degrees of freedom
    lo, hi = toy.bounds
    hist, _, _ = np.histogram2d(x[:, 1], x[:, 0], bins=6, range=[(lo, hi), (lo, hi)])
    expect = p.reshape(48, 48).reshape(6, 8, 6, 8).sum((1, 3)) * n
    keep = expect > 5
    chi2 = float((((hist - expect) ** 2)[keep] / expect[keep]).sum())
    from scipy.stats import chi2 as chi2_dist

    assert chi2_dist.sf(chi2, keep.sum() - 1) > 1e-4


def test_grid_kl_is_zero_for_the_exact_model_and_positive_otherwise():
    toy = make_toy("eight_gaussians")
    exact = GaussianMixtureEnergy(toy.centers, scales=toy.noise)
    assert grid_kl(toy.log_density, exact, toy.bounds, n=120) < 1e-6
    wrong = GaussianMixtureEnergy(toy.centers, scales=2 * toy.noise)
    assert grid_kl(toy.log_density, wrong, toy.bounds, n=120) > 0.2


def test_mmd_detects_difference():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(300, 2)), rng.normal(size=(300, 2))
    c = rng.normal(loc=1.0, size=(300, 2))
    same, diff = mmd(a, b), mmd(a, c)
    assert abs(same) < 0.01 < diff
    with pytest.raises(ValueError, match="shape"):
        mmd(a, np.zeros((5, 3)))


def test_replay_buffer_reinitialises_about_five_percent():
    buf = ReplayBuffer(1000, (2,), low=10.0, high=11.0, seed=0)
    buf.states.zero_()                       # mark every stored state
    n = 20000
    _, x = buf.draw(n)
    frac = float((x[:, 0] >= 10.0).double().mean())
    assert abs(frac - 0.05) < 5 * np.sqrt(0.05 * 0.95 / n)
    idx, x = buf.draw(8)
    buf.update(idx, torch.full((8, 2), 3.0))
    assert torch.all(buf.states[idx] == 3.0)
    with pytest.raises(ValueError, match="reinit_prob"):
        ReplayBuffer(10, (2,), reinit_prob=1.5)
    with pytest.raises(ValueError, match="shape"):
        buf.update(idx, torch.zeros(8, 3))


def test_import_boltz_does_not_import_torch_and_lazy_has_no_torch_names():
    code = ("import sys, boltz, boltz.cli; boltz.cli.build_parser();"
            "print('torch' in sys.modules, any(n for n in boltz._LAZY.values() if n == 'deep'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_cli_help_without_torch():
    # a torch that cannot be imported must not break `boltz --help`; simulated by a finder
    # that refuses torch (sys.modules['torch'] = None also breaks scipy's array-API helper,
    # which scikit-learn, a core dependency since #19, imports)
    no_torch = ("import sys\n"
                "class NoTorch:\n"
                "    def find_spec(self, name, path=None, target=None):\n"
                "        if name.split('.')[0] == 'torch':\n"
                "            raise ModuleNotFoundError('No module named torch', name=name)\n"
                "sys.meta_path.insert(0, NoTorch())\n")
    code = no_torch + "from boltz.cli import main; sys.exit(main(['--help']))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and "ebm" in out.stdout
    code = no_torch + "from boltz.cli import main; sys.exit(main(['ebm', 'pitfall']))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2 and "needs PyTorch" in out.stderr


def test_cli_train_writes_figure_and_checkpoint(tmp_path, capsys):
    from boltz.cli import main

    fig, ck = tmp_path / "f.png", tmp_path / "m.pt"
    rc = main(["ebm", "train", "--objective", "dsm", "--steps", "20", "--batch-size", "64",
               "--grid", "40", "--samples", "100", "--sample-steps", "10", "--no-progress",
               "--out", str(fig), "--checkpoint", str(ck)])
    assert rc == 0 and fig.stat().st_size > 0 and ck.stat().st_size > 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["grid_kl"] > 0 and summary["steps"] == 20
    assert main(["ebm", "train", "--steps", "0"]) == 2
