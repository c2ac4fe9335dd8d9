"""``device=`` of the deep-EBM API is checked where the command line's ``--device`` is:
devices boltz does not compute on (``meta``, ``mps``, ...) are refused before any work."""

import argparse

import pytest

torch = pytest.importorskip("torch")

from boltz.cli import _check_device_option  # noqa: E402
from boltz.deep import DenoisingScoreMatching, MLPEnergy, fit  # noqa: E402
from boltz.deep._utils import resolve_device  # noqa: E402

REFUSED = ["meta", torch.device("meta"), "mps", "xla", "bogus"]
if not torch.cuda.is_available():
    REFUSED += ["cuda", "cuda:0", torch.device("cuda", 0)]


def _fit(device):
    model = MLPEnergy(1, hidden=(4,))
    data = torch.randn(64, 1, generator=torch.Generator().manual_seed(0))
    before = [p.detach().clone() for p in model.parameters()]
    try:
        return fit(model, DenoisingScoreMatching(0.5), data, n_steps=2, batch_size=16,
                   device=device, seed=0, progress=False)
    except ValueError:
        # refused before the model moved or any update ran
        after = list(model.parameters())
        assert all(a.device.type == "cpu" for a in after)
        assert all(torch.equal(a, b) for a, b in zip(after, before, strict=True))
        raise


@pytest.mark.parametrize("device", REFUSED, ids=str)
def test_fit_refuses_devices_boltz_does_not_run_on(device):
    with pytest.raises(ValueError, match=r"device.*(cuda|CUDA)") as info:
        _fit(device)
    message = str(info.value)
    assert "device" in message and "\n" not in message


def test_refusal_names_the_accepted_devices():
    with pytest.raises(ValueError) as info:
        resolve_device("meta")
    message = str(info.value)
    for name in ("device='meta'", "'cpu'", "'cuda'", "'cuda:N'"):
        assert name in message


@pytest.mark.parametrize("device", [None, "cpu", "auto", "cpu-torch", torch.device("cpu")],
                         ids=str)
def test_fit_accepts_the_cpu(device):
    # control: the same call on an accepted device trains
    assert _fit(device).n_steps == 2
    assert resolve_device(device) in (None, torch.device("cpu"))


@pytest.mark.parametrize("device", ["meta", "mps", "bogus", "cpu", "auto", "cpu-torch"])
def test_command_line_and_api_agree(device):
    """One check for both: ``--device X`` is refused exactly when ``device=X`` is."""
    try:
        resolve_device(device)
        api_ok = True
    except ValueError:
        api_ok = False
    try:
        _check_device_option(argparse.Namespace(device=device))
        cli_ok = True
    except ValueError as exc:
        cli_ok = False
        assert f"--device {device!r}" in str(exc)
    assert api_ok == cli_ok


@pytest.mark.parametrize("device", REFUSED, ids=str)
def test_lattice_samplers_refuse_what_the_deep_api_refuses(device):
    # the torch Ising samplers go through the same check (it once let "meta" through)
    from boltz.samplers.torch_lattice import resolve_device as lattice_device

    with pytest.raises(ValueError, match="device"):
        lattice_device(device)


def test_lattice_samplers_accept_the_cpu():
    from boltz.samplers.torch_lattice import resolve_device as lattice_device

    assert lattice_device("cpu") == lattice_device("auto" if not torch.cuda.is_available()
                                                   else "cpu") == torch.device("cpu")
