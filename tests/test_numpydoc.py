"""The API reference is complete: every public name of the modules listed in ENFORCED has
numpydoc ``Parameters`` (each argument), ``Returns`` (when it returns a value) and
``Examples`` (the examples themselves run in tests/test_docs.py).

The checker and its exemptions (dunder/private methods, properties and NamedTuple or
dataclass fields, methods inherited from outside boltz, no Examples on abstract methods)
are described in tests/numpydoc_check.py; ``python tests/numpydoc_check.py`` prints the
count per module. A module joins ENFORCED once it is complete.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpydoc_check  # noqa: E402

ENFORCED = ["backend", "datasets", "dbm", "denoising", "density", "diagnostics", "distributed",
            "exact", "expfam", "gaussian", "inverse_ising", "io", "ising", "plotting", "rbm",
            "samplers"]


@pytest.fixture(scope="module")
def report():
    pytest.importorskip("numpydoc")
    return numpydoc_check.collect(ENFORCED)


@pytest.mark.parametrize("module", ENFORCED)
def test_public_names_have_numpydoc_sections(report, module):
    entries = report[module]
    assert entries, f"boltz.{module}: no public names found (is __all__ set?)"
    gaps = [f"{name}: {'; '.join(missing)}" for name, missing in entries if missing]
    assert not gaps, f"boltz.{module}: {len(gaps)} name(s) incomplete:\n" + "\n".join(gaps)


def test_checker_flags_a_missing_section():
    """Control: a docstring without Returns/Examples and with an undocumented argument."""
    def f(x, y):
        """Add.

        Parameters
        ----------
        x : float
            First.
        """
        return x + y

    missing = numpydoc_check._check_callable(f, skip_first=False)
    assert missing == ["Parameters (y)", "Returns", "Examples"]
