"""Three fuzzy prototypes: rows of probabilities for the dynamic-binarization tests.

Dynamic binarization fits the mixture of product Bernoullis the rows define,
``p_data(v) = mean_n prod_i P[n, i]^v_i (1 - P[n, i])^(1 - v_i)``; its entropy,
3.203 nats, caps ``E_{p_data}[log p(v)]`` for any model.
"""

import itertools

import numpy as np

FUZZY = np.repeat(np.array([[.9, .9, .8, .1, .1, .2], [.1, .2, .1, .9, .8, .9],
                            [.8, .1, .9, .1, .8, .1]]), 4, axis=0)
ALL_V = np.array(list(itertools.product([0, 1], repeat=6)), dtype=float)
P_DATA = np.mean(np.prod(np.where(ALL_V[None] == 1, FUZZY[:, None], 1 - FUZZY[:, None]),
                         axis=2), axis=0)
MIXTURE_ENTROPY = float(-(P_DATA * np.log(P_DATA)).sum())


def mixture_log_likelihood(exact_log_likelihood, model):
    """``E_{p_data}[log p(v)]`` exactly, given the model family's exact log-likelihood."""
    return float(P_DATA @ exact_log_likelihood(model, ALL_V))


def three_fits(make, exact_log_likelihood):
    """Mixture log-likelihoods of three models built by ``make(n_epochs, binarize)``.

    1800 updates each (batch size 4): trained on fresh draws of the 12 rows
    (dynamic binarization); on one fixed draw of them; on one fixed draw of
    1200 rows (100 per probability row), which is nearly the mixture itself.
    """
    from boltz.datasets import draw_binary

    dynamic = make(600, "dynamic").fit(FUZZY)
    one_draw = make(600, None).fit(draw_binary(FUZZY, np.random.default_rng(1)))
    large = make(6, None).fit(draw_binary(np.repeat(FUZZY, 100, axis=0),
                                          np.random.default_rng(2)))
    return tuple(mixture_log_likelihood(exact_log_likelihood, m)
                 for m in (dynamic, one_draw, large))
