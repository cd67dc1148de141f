"""Learn from my captions (issue 14 part 2c): leave-one-out error of the map, and what it then draws.

1. ``train``: a 32 px VAE on the demonstration scenes (``artstudio dataset
   shapes``), with the project's trainer; its encoder gives each captioned
   picture's latent in one pass (the job projects when a model has none).
2. ``measure``: the real "Learn from my captions" job on ``--pictures``
   captioned scenes of another seed: the map's leave-one-out error against
   predicting the mean latent (both per latent value); then, for held-out
   captions (new scenes of the training combinations, and the combinations
   no folder contains), the map's latent decoded by the VAE and judged from
   its pixels (:mod:`artstudio.core.caption_check`), per attribute, with the
   VAE's own reconstructions of the real scenes as the ceiling.

    python benchmarks/caption_map.py all --work /tmp/capmap --scenes /work/cgan/shapes
"""

from __future__ import annotations

import argparse
from pathlib import Path

import _common  # noqa: F401  (puts the repository on sys.path)
import numpy as np
from _common import print_header

from artstudio.core.caption_check import ATTRIBUTES, agreement
from artstudio.core.caption_scenes import make_scenes, write_scenes
from artstudio.jobs.base import CancelToken, run_sync


def train(work: Path, scenes: Path, steps: int) -> None:
    from artstudio.jobs.train_gen import TrainGenRequest, run_train_gen

    request = TrainGenRequest(kind="vae", data=scenes, out=work / "models", name="shapes-vae", size=32,
                              steps=steps, batch=64, latent=32, device="cpu", sample_every=0)
    result = run_sync(run_train_gen(request, CancelToken()))
    print(f"trained shapes-vae: {result.step} steps in {result.seconds:.0f} s")


def row(label: str, scores: dict) -> str:
    return f"| {label} | " + " | ".join(f"{scores[a]:.2f}" for a in ATTRIBUTES + ("all",)) + " |"


def measure(work: Path, pictures: int, samples: int) -> None:
    from artstudio.jobs.describe import LearnRequest, run_learn_captions
    from artstudio.models.loading import get_model
    from artstudio.models.registry import resolve
    from artstudio.models.sentence import sentence_model

    spec = resolve("shapes-vae", user_dir=work / "models")
    vae = get_model(spec, "cpu")
    folder = work / f"captioned-{pictures}"
    if not folder.is_dir():
        write_scenes(folder, pictures, seed=21)
    result = run_sync(run_learn_captions(LearnRequest(folder, spec.name, vae.model_hash, work / "map.npz",
                                                      work / "models", "cpu"), CancelToken()))
    cmap = result.caption_map
    print(f"pictures: {pictures}; leave-one-out error {cmap.loo_error:.4f} per latent value, "
          f"mean-latent baseline {cmap.baseline_error:.4f}, improvement {cmap.improvement:.0%}")
    print()
    print("| " + " | ".join(("samples",) + ATTRIBUTES + ("all four",)) + " |")
    print("|" + "---|" * (len(ATTRIBUTES) + 2))
    model = sentence_model()
    import torch

    for held, label in ((False, "held-out captions, seen combinations"), (True, "unseen combinations")):
        real, captions, scenes = make_scenes(samples, seed=31, held_out=held)
        with torch.no_grad():
            mu = vae.encoder(torch.from_numpy(real).permute(0, 3, 1, 2).float() / 255)[0].numpy()
        print(row(f"VAE reconstruction of the real scenes, {label} (ceiling)",
                  agreement(vae.render(mu.astype(np.float32)), scenes)))
        latents = cmap.predict(model.encode(captions)).astype(np.float32)
        print(row(f"caption -> map -> VAE, {label}", agreement(vae.render(latents), scenes)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("train", "measure", "all"))
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--scenes", type=Path, help="training scenes (artstudio dataset shapes DIR)")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--pictures", type=int, default=300)
    parser.add_argument("--samples", type=int, default=600)
    args = parser.parse_args()
    print_header("Learn from my captions")
    if args.step in ("train", "all"):
        train(args.work, args.scenes, args.steps)
    if args.step in ("measure", "all"):
        measure(args.work, args.pictures, args.samples)


if __name__ == "__main__":
    main()
