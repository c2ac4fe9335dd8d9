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

ENFORCED = ["backend", "checkpoint", "datasets", "dbm", "denoising", "density", "diagnostics",
            "distributed", "exact", "expfam", "gaussian", "inverse_ising", "io", "ising",
            "plotting", "rbm", "samplers"]


@pytest.fixture(scope="module")
def report():
    pytest.importorskip("numpydoc")
    return numpydoc_check.collect(ENFORCED)


ENFORCED += ["deep"]

#: Gaps another branch closes (so that the branches merge without conflicts): exempt only
#: while the listed sections are exactly what is missing. Remove an entry once that
#: branch is merged; anything else missing from the name still fails.
PENDING: dict = {}  # name -> the gaps it may have while another change is pending


@pytest.mark.parametrize("module", ENFORCED)
def test_public_names_have_numpydoc_sections(report, module):
    entries = report[module]
    assert entries, f"boltz.{module}: no public names found (is __all__ set?)"
    gaps = [f"{name}: {'; '.join(missing)}" for name, missing in entries
            if missing and missing != PENDING.get(name)]
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


def test_rbm_kinds_share_one_parameter_text():
    """The parameters all RBM kinds share are written once (boltz.rbm._docstrings) and
    composed into each kind's docstring, so the kinds cannot drift apart."""
    from pathlib import Path

    from boltz.rbm import BernoulliRBM, CategoricalRBM, GaussianBernoulliRBM, RBMBase
    from boltz.rbm._docstrings import RBM_PARAMETERS

    entry = "max_weight : float, default 500.0"
    assert entry in RBM_PARAMETERS
    for cls in (RBMBase, BernoulliRBM, GaussianBernoulliRBM, CategoricalRBM):
        assert "%(rbm_parameters)s" not in cls.__doc__, cls.__name__
        assert cls.__doc__.count(entry) == 1, cls.__name__
    rbm_sources = Path(RBMBase.__module__.replace(".", "/")).parent
    package = Path(__file__).resolve().parents[1] / rbm_sources
    copies = sum(p.read_text(encoding="utf-8").count(entry) for p in package.glob("*.py"))
    assert copies == 1, f"{entry!r} is written {copies} times in boltz/rbm"
