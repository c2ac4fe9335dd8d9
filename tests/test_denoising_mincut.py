"""Exact MAP by minimum cut against brute-force enumeration and the SciPy reference."""

import numpy as np
import pytest

from boltz.denoising import DenoisingPosterior, grid_graph, map_mincut, maxflow_bk, maxflow_scipy
from boltz.exact import all_states


def _random_problem(rng, shape, neighbourhood):
    y = rng.choice([-1, 1], size=shape)
    beta = rng.uniform(0.0, 2.0)
    eta = rng.uniform(-0.5, 2.0)
    h = rng.uniform(-1.5, 1.5)
    return DenoisingPosterior(y, beta=beta, eta=eta, h=h, neighbourhood=neighbourhood)


@pytest.mark.parametrize("neighbourhood", [4, 8])
def test_mincut_energy_equals_brute_force_minimum(neighbourhood):
    rng = np.random.default_rng(2024 + neighbourhood)
    states = all_states(16, support=(-1, 1))
    for _ in range(40):
        model = _random_problem(rng, (4, 4), neighbourhood)
        e_min = model.energy(states).min()
        for solver in ("bk", "scipy"):
            res = map_mincut(model, solver=solver)
            assert res.energy == pytest.approx(model.energy_image(res.labels), abs=1e-12)
            # scipy rounds capacities to integers scaled ~1e7: tolerance from that rounding
            tol = 1e-9 if solver == "bk" else 1e-5
            assert res.energy == pytest.approx(e_min, abs=tol), (solver, model)


def test_non_square_and_degenerate_shapes():
    rng = np.random.default_rng(7)
    for shape in [(1, 12), (12, 1), (3, 5), (1, 1)]:
        for nb in (4, 8):
            model = _random_problem(rng, shape, nb)
            states = all_states(model.n_variables, support=(-1, 1))
            assert map_mincut(model).energy == pytest.approx(model.energy(states).min(), abs=1e-9)


def test_bk_matches_scipy_on_larger_problems():
    rng = np.random.default_rng(11)
    for nb in (4, 8):
        for _ in range(3):
            model = _random_problem(rng, (30, 40), nb)
            e_bk = map_mincut(model, solver="bk").energy
            e_sp = map_mincut(model, solver="scipy").energy
            # scipy's cut is optimal for capacities rounded at scale ~2^30/sum(cap)
            assert e_bk <= e_sp + 1e-9
            assert e_sp - e_bk < 1e-3


def test_flow_value_equals_cut_capacity():
    rng = np.random.default_rng(3)
    model = _random_problem(rng, (20, 20), 4)
    g = grid_graph(2 * model.external_field(), 2 * model.beta, 4)
    flow, side = maxflow_bk(g)
    # capacity of the cut (source side -> sink side) minus the cancelled terminal part
    tails = np.repeat(np.arange(g.n_nodes), np.diff(g.first))
    crossing = side[tails] & ~side[g.head]
    cut = g.cap[crossing].sum() + g.terminal[~side & (g.terminal > 0)].sum() \
        - g.terminal[side & (g.terminal < 0)].sum()
    assert flow == pytest.approx(cut, rel=1e-12)
    flow_sp, _ = maxflow_scipy(g)
    assert flow_sp == pytest.approx(flow, rel=1e-6)


def test_beta_zero_is_sign_of_field():
    y = np.array([[1, -1, 1], [-1, -1, 1]])
    res = map_mincut(DenoisingPosterior(y, beta=0.0, eta=1.0, h=0.3))
    np.testing.assert_array_equal(res.labels, y)


def test_negative_beta_rejected():
    model = DenoisingPosterior(np.ones((3, 3)), beta=-0.5, eta=1.0)
    with pytest.raises(ValueError, match="beta >= 0"):
        map_mincut(model)


def test_bad_solver_and_model():
    with pytest.raises(ValueError, match="solver"):
        map_mincut(DenoisingPosterior(np.ones((2, 2))), solver="magic")
    with pytest.raises(TypeError, match="DenoisingPosterior"):
        map_mincut(np.ones((2, 2)))
