"""
A noise-conditional score model on MNIST: samples and inpainting
================================================================

A small conv U-Net learns the score of MNIST convolved with Gaussian noise at
every level between 8 and 0.01 (denoising score matching on a continuum of
levels, Song & Ermon 2019; Karras et al. 2022) on 28x28 digits, with 2x2
pixel blocks folded into channels so that the network costs what a 14x14
one does (the recipe's ``patch``, for a CPU budget). Heun's method on the
probability-flow ODE then turns Gaussian noise into digits, and annealed
Langevin dynamics fills in the missing bottom half of test digits given the
top half.

.. code-block:: bash

    python demos/mnist_score.py --quick            # 20 updates: checks the pipeline only
    python demos/mnist_score.py [--minutes 20] [--out out/mnist_score/samples.png]

Needs MNIST and torch; not executed while the documentation is built (the
default budget is 20 minutes of training on a CPU, with a progress line per
chunk of updates).
"""

import argparse
import os
import time
from pathlib import Path

import matplotlib
import torch

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from boltz.deep.image_recipes import (  # noqa: E402
    SCORE_SETTINGS,
    inpaint_score_model,
    mnist_images,
    resize,
    sample_score_model,
    train_score_model,
)
from boltz.plotting import image_grid  # noqa: E402


def main():
    p = argparse.ArgumentParser(description="A noise-conditional score model on MNIST.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true", help="20 updates (a pipeline check)")
    p.add_argument("--minutes", type=float, default=20.0, help="training budget (wall clock)")
    p.add_argument("--sample-steps", type=int, default=SCORE_SETTINGS["sample_steps"],
                   help="noise levels of the probability-flow ODE (2 N - 1 score evaluations)")
    p.add_argument("--device", default="auto", help="torch device")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--out", default="out/mnist_score/samples.png",
                   help="figure to write (a folder: samples.png inside it)")
    p.add_argument("--checkpoint", default=None, help="state dict to write (default: none)")
    args = p.parse_args()
    out = Path(args.out)
    if out.suffix != ".png":
        out = out / "samples.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    if os.environ.get("OMP_NUM_THREADS") is None:
        torch.set_num_threads(1)   # small convolutions: more threads thrash on a busy CPU
    x = mnist_images("train")
    t0 = time.perf_counter()
    model, res = train_score_model(x, seconds=60 * args.minutes,
                                   max_steps=20 if args.quick else None, seed=args.seed,
                                   device=args.device, progress=True)
    print(f"{res['n_steps']} DSM updates in {time.perf_counter() - t0:.0f}s on {model.device}")
    if args.checkpoint:
        torch.save({k: v.cpu() for k, v in model.state_dict().items()}, args.checkpoint)
    cfg = {**res["settings"], "sample_steps": args.sample_steps}
    samples = sample_score_model(model, 64, cfg, seed=args.seed).cpu()
    side = model.event_shape[-1]
    test = resize(mnist_images("test", 16), side).to(model.device)
    mask = torch.zeros(1, 1, side, side, dtype=torch.bool)
    mask[..., : side // 2, :] = True                          # the top half is known
    filled = inpaint_score_model(model, test, mask, cfg, seed=args.seed).cpu()
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.5))
    image_grid(samples[:, 0].numpy(), ncols=8, ax=axes[0],
               title=f"score-model samples ({res['n_steps']} updates, "
                     f"{res['seconds'] / 60:.0f} min)")
    rows = torch.cat([test.cpu() * mask + 0.3 * ~mask, filled.cpu()])[:, 0]  # masked: grey
    image_grid(rows.numpy(), ncols=8, ax=axes[1],
               title="inpainting: top halves given (rows 1-2), completions (rows 3-4)")
    fig.savefig(out, dpi=80, bbox_inches="tight")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
