"""Behaviour preserved across the move of the denoising kernels into ``boltz.samplers`` (#17).

The deterministic paths -- exact MAP by min-cut (both solvers), ICM from the noisy
image or from a given start, and mean-field marginals -- must stay bit-identical:
their SHA-256 fingerprints below were recorded on fixed seeds with the code from
before the move (``boltz/denoising/_kernels.py`` of commit 492f3cc) and are checked
here against the current code.

The stochastic paths -- annealing, Gibbs marginals and ``estimate_parameters`` --
cannot keep their fingerprints: they used numba's global Mersenne Twister
(``np.random.seed`` inside the kernel) and now draw from counter-based SplitMix64
streams (:mod:`boltz.samplers._rng`), one per image row, so the random stream
itself changed. For them the proof is statistical and by determinism: the exactness
tests in ``tests/test_denoising.py`` (Gibbs marginals against exact enumeration
within 5 batch-means standard errors; the energy ordering MAP <= annealing <= ICM;
the pseudo-likelihood recovering a known coupling) still pass, and below the same
seed gives bit-identical results with 1 and with 2 numba threads.
"""

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from boltz.datasets import binary_image
from boltz.denoising import (
    DenoisingPosterior,
    add_flip_noise,
    icm,
    map_mincut,
    mean_field_marginals,
)


def fingerprint(a) -> str:
    """SHA-256 of an array's bytes, dtype and shape."""
    a = np.ascontiguousarray(a)
    return hashlib.sha256(a.tobytes() + str(a.dtype).encode() + str(a.shape).encode()).hexdigest()


# recorded at commit 492f3cc (before the kernels moved), see the module docstring
BEFORE = {
    "mincut4": "d47192bf7d44792b2011338fc59ba262557a7be2661427cf51f3aa40f222fee4",
    "icm4": "2bd60381966d428cfd7d35e523b2aa58e7fb7ed756c3ae4fecc09441550ecac4",
    "icm_init4": "03a3e10a548bb281e12e79f0efcf4e906d2d90426399da4de4cde7282f9cff8c",
    "meanfield4": "8ea9434f96fe88d19e745f915e13b4b117f5629ebb2e5a7e0bb7131d7cd68891",
    "mincut8": "66e17814f44a467e257c81670adf140bda4f814e2c7f802102ac9e03d1fd6336",
    "icm8": "c7135292d342a7a507da589cbfefbbaa0c13b9fcf28cb79959ad2151ad0158d1",
    "icm_init8": "6d05a68fbe3469e3139da074b392180ffca954ff52d7494fb13e1d6226c0bf80",
    "meanfield8": "ce563dd64ae5efc0288dc5bee7dfe62a3f64501c2d553ed13efdcee9f2fc3e29",
    "icm512_4": "4a7c65adb3b7f06facec2244539b003e667c1fa9c9f340c46a4625ffec481a88",
    "meanfield512_4": "e9804f3e89a6113f0f0c5e9ead34ddbc374b9005e62323e2cad674dacc01748a",
    "icm512_8": "9bbf2a1e174a3976e4d64039b937b29f69791d393111fa0688fa33377b000247",
    "meanfield512_8": "1c64c42ca20ea9dd5e9350774c20f68f84f8222072bca18f483c876f3b0b818a",
}


def _model(name, size, noise, seed, neighbourhood):
    noisy = add_flip_noise(binary_image(name, size), noise, seed=seed)
    return DenoisingPosterior.from_noise_rate(noisy, noise, beta=1.0 if neighbourhood == 4 else
                                              0.5, neighbourhood=neighbourhood)


@pytest.mark.parametrize("neighbourhood", [4, 8])
def test_deterministic_paths_are_bit_identical(neighbourhood):
    nb = neighbourhood
    model = _model("letters", 64, 0.15, 1, nb)
    assert fingerprint(map_mincut(model).labels) == BEFORE[f"mincut{nb}"]
    assert fingerprint(map_mincut(model, solver="scipy").labels) == BEFORE[f"mincut{nb}"]
    assert fingerprint(icm(model).labels) == BEFORE[f"icm{nb}"]
    init = np.random.default_rng(7).choice([-1, 1], size=(64, 64)).astype(np.int8)
    assert fingerprint(icm(model, init=init).labels) == BEFORE[f"icm_init{nb}"]
    assert fingerprint(mean_field_marginals(model).probability) == BEFORE[f"meanfield{nb}"]
    # 512 x 512: the images of the benchmark's --quick run
    big = _model("shapes", 512, 0.1, 0, nb)
    assert fingerprint(icm(big).labels) == BEFORE[f"icm512_{nb}"]
    assert fingerprint(mean_field_marginals(big).probability) == BEFORE[f"meanfield512_{nb}"]


_STOCHASTIC = """
import hashlib, json
import numpy as np
from boltz.datasets import binary_image
from boltz.denoising import (DenoisingPosterior, add_flip_noise, anneal, estimate_parameters,
                             gibbs_marginals)
def fp(a):
    a = np.ascontiguousarray(a)
    return hashlib.sha256(a.tobytes() + str(a.dtype).encode() + str(a.shape).encode()).hexdigest()
out = {}
for nb in (4, 8):
    noisy = add_flip_noise(binary_image("shapes", 1024), 0.1, seed=0)
    m = DenoisingPosterior.from_noise_rate(noisy, 0.1, beta=1.0 if nb == 4 else 0.5,
                                           neighbourhood=nb)
    out["anneal%d" % nb] = fp(anneal(m, n_sweeps=6, seed=0).labels)
    g = gibbs_marginals(m, n_sweeps=4, n_burn=2, n_batches=2, seed=0)
    out["gibbs%d" % nb] = fp(g.probability)
    small = noisy[:128, :128]  # serial kernels: this checks the streams, not the threads
    e = estimate_parameters(small, neighbourhood=nb, n_iter=4, seed=0)
    out["estimate%d" % nb] = fp(np.array([e.beta, e.h, e.noise_rate]))
print(json.dumps(out))
"""


@pytest.mark.slow
def test_stochastic_paths_same_seed_same_result_on_1_and_2_threads():
    """1024 x 1024 images, so with 4 neighbours the parallel kernel build runs on 2 threads
    (a colour class then holds GRID_PARALLEL_MIN_WORK = 2**19 sites)."""
    runs = []
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        out = subprocess.run([sys.executable, "-c", _STOCHASTIC], capture_output=True,
                             text=True, env=env, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert runs[0] == runs[1]
