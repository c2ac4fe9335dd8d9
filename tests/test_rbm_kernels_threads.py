"""The NumPy backend's row-parallel kernels give the one-thread result bit for bit."""

import numpy as np
import pytest

from boltz.backend.numpy_backend import NumpyBackend


def _arrays(seed=0, n=250, n_vis=300, n_hid=200, p_on=0.15):
    rng = np.random.default_rng(seed)
    return {
        "v": (rng.random((n, n_vis)) < p_on).astype(np.float32),
        "v2": (rng.random((n, n_vis)) < p_on).astype(np.float32),
        "h": (rng.random((n, n_hid)) < p_on).astype(np.float32),
        "W": (0.1 * rng.standard_normal((n_vis, n_hid))).astype(np.float32),
        "pre": (3.0 * rng.standard_normal((n, n_hid))).astype(np.float32),
        "c": rng.standard_normal(n_hid).astype(np.float32),
        "scale": rng.random(n).astype(np.float32) + 0.5,
        "u": rng.random(n_vis).astype(np.float32),
        "w": rng.standard_normal(n_hid).astype(np.float32),
    }


def _run_all(n_threads, a):
    bk = NumpyBackend().set_threads(n_threads)
    out = {}
    out["bernoulli"] = bk.bernoulli(a["pre"], a["scale"], a["c"], np.random.default_rng(1))
    bias2d = a["scale"][:, None] * a["c"][None, :]
    out["bernoulli_rowbias"] = bk.bernoulli(a["pre"], a["scale"], bias2d,
                                            np.random.default_rng(2))
    out["hidden_input"] = bk.hidden_input(a["v"], a["W"], True)
    out["visible_input"] = bk.visible_input(a["h"], a["W"])
    for velocity in (True, False):
        W = a["W"].copy()
        vel = np.full_like(W, 0.01) if velocity else np.empty((0, 0), np.float32)
        y_pos = a["pre"][:, :] * 0.01
        y_neg = -a["pre"][::-1].copy() * 0.01
        mx = bk.weight_step(W, vel, a["v"], y_pos, a["v2"], y_neg, a["u"], a["w"], 0.05, 0.5,
                            1e-4, True, a["h"])
        out[f"step{velocity}"] = (W, vel, np.float64(mx), bk._WT.copy())
        out[f"after{velocity}"] = bk.visible_input(a["h"], W)  # reads the refreshed W^T
    return out


@pytest.mark.parametrize("n_threads", [2, 3, 4])
def test_kernels_are_bit_identical_on_any_thread_count(n_threads):
    a = _arrays()
    one, many = _run_all(1, a), _run_all(n_threads, a)
    assert one.keys() == many.keys()
    for name in one:
        xs, ys = one[name], many[name]
        xs, ys = (xs, ys) if isinstance(xs, tuple) else ((xs,), (ys,))
        assert len(xs) == len(ys), name
        for x, y in zip(xs, ys, strict=True):
            assert np.array_equal(x, y), name


def test_split_runs_on_several_blocks_and_the_check_can_fail():
    """Control: the arrays above are split (several blocks), and a changed seed of the
    sampling stream is seen by the comparison."""
    bk = NumpyBackend().set_threads(2)
    a = _arrays()
    assert len(bk._blocks(a["W"].shape[0], align=16, min_block=64)) == 3
    assert len(bk._blocks(a["pre"].shape[0], min_block=bk._min_rows(a["pre"]))) == 3
    _, s1 = bk.bernoulli(a["pre"], a["scale"], a["c"], np.random.default_rng(1))
    _, s2 = bk.bernoulli(a["pre"], a["scale"], a["c"], np.random.default_rng(3))
    assert not np.array_equal(s1, s2)


def test_weight_step_reports_nan_from_any_block():
    bk = NumpyBackend().set_threads(2)
    a = _arrays()
    W = a["W"].copy()
    W[-1, 0] = np.nan  # in the second block
    mx = bk.weight_step(W, np.empty((0, 0), np.float32), a["v"], a["pre"] * 0.01, a["v2"],
                        a["pre"] * -0.01, a["u"], a["w"], 0.05, 0.0, 0.0, True, a["h"])
    assert np.isnan(mx)


def test_set_threads_rejects_bad_counts():
    with pytest.raises(ValueError, match="n_threads"):
        NumpyBackend().set_threads(0)


@pytest.mark.parametrize("bias_dtype", [np.float32, np.float64])
def test_unit_row_scale_shortcut_gives_the_scaled_numbers(bias_dtype):
    """``z = pre + bias`` without a scale (``None``) equals ``pre * 1`` then ``+= bias``, and so
    does the one-pass numba route with a scale of ones; a scale that is not 1 takes the
    multiplication (control)."""
    from boltz.backend._kernels import _preactivation_parts

    rng = np.random.default_rng(0)
    pre = (10 * rng.standard_normal((7, 5))).astype(np.float32)
    bias = rng.standard_normal(5).astype(bias_dtype)
    ones = np.ones(7, np.float32)
    z_ref = pre * ones[:, None]
    z_ref += bias
    for scale in (None, ones):
        z, e = _preactivation_parts(pre, scale, bias)
        assert z.dtype == np.float32 and np.array_equal(z, z_ref)
        assert np.array_equal(e, np.exp(-np.abs(z_ref)))
    half = np.full(7, 0.5, np.float32)
    assert not np.array_equal(_preactivation_parts(pre, half, bias)[0], z_ref)
