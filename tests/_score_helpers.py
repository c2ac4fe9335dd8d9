"""Score models with exact answers, shared by the score-model tests."""

import torch

from boltz.deep.score_models import ScoreModule


class GaussianScore(ScoreModule):
    """Exact score of N(mean, var) data convolved with N(0, sigma^2): -(x - m) / (var + s^2).

    ``seen`` records the levels it was called with.
    """

    def __init__(self, mean, var, dim=1):
        super().__init__()
        self.event_shape = (dim,)
        self.register_buffer("mean", torch.tensor(float(mean), dtype=torch.float64))
        self.var = float(var)
        self.seen = []

    def score_at(self, x, sigma):
        s = torch.as_tensor(sigma, dtype=x.dtype).reshape(-1, *([1] * (x.ndim - 1)))
        self.seen.append(torch.as_tensor(sigma).detach().reshape(-1).clone())
        return -(x - self.mean) / (self.var + s**2)
