import subprocess
import sys

import pytest


def test_import_boltz_does_not_import_torch_or_numba():
    code = (
        "import sys, boltz, boltz.density, boltz.expfam, boltz.exact, boltz.datasets;"
        "print('torch' in sys.modules, 'numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_denoising_and_samplers_load_numba_only_when_a_kernel_runs():
    code = ("import sys, boltz.denoising, boltz.samplers, boltz.ising;"
            "print('torch' in sys.modules, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_lazy_attributes():
    import boltz

    assert boltz.ProductOfExperts is boltz.density.ProductOfExperts
    assert "rbm" in dir(boltz)
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = boltz.no_such_name
