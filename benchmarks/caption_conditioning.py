"""Does a caption-conditioned GAN draw what its caption says? (issue 14, "conditioning that can fail")

For each model named (``artstudio models`` names or ``.safetensors`` paths,
e.g. the GRU- and the sentence-conditioned demo models), in one run:

- **held-out captions of seen combinations**: new scenes (seed 11, never in
  the training folder's files) of the training combinations, each caption
  rendered for a fresh latent;
- **unseen combinations**: the 15 colour/shape/count/background
  combinations that :func:`artstudio.core.caption_scenes.split_scenes` keeps
  out of every training folder;
- **shuffled captions** (a control): the same samples judged against another
  sample's caption, which must fall to about chance if agreement comes from
  the caption and not from the dataset's average picture.

The judge is :func:`artstudio.core.caption_check.read_scene` (pixels only, no
network); its ceiling is its agreement on the real scenes themselves. Chance
levels: colour 1/6, shape 1/3, count 1/3, background 1/3, all four ~1/162.

    python benchmarks/caption_conditioning.py shapes-captions shapes-captions-sentence --samples 600 \
        --sheet docs/captions/samples.png
"""

from __future__ import annotations

import argparse
import time

import _common  # noqa: F401  (puts the repository on sys.path)
import numpy as np
from _common import print_header

from artstudio.core.caption_check import ATTRIBUTES, CHANCE, agreement
from artstudio.core.caption_scenes import make_scenes


def judge(images, scenes) -> dict[str, float]:
    return agreement(images, scenes)


def row(label: str, scores: dict[str, float]) -> str:
    return f"| {label} | " + " | ".join(f"{scores[a]:.2f}" for a in ATTRIBUTES + ("all",)) + " |"


def evaluate(name: str, samples: int, seed: int) -> list[str]:
    from artstudio.models.loading import get_model
    from artstudio.models.registry import GENERATOR_KINDS, resolve

    generator = get_model(resolve(name, kind=GENERATOR_KINDS), "cpu")
    rng = np.random.default_rng(seed)
    lines = []
    for label, held in (("held-out captions, seen combinations", False),
                        ("unseen combinations", True)):
        real, captions, scenes = make_scenes(samples, seed=11, held_out=held)
        z = rng.standard_normal((samples, generator.latent_dim)).astype(np.float32)
        began = time.perf_counter()
        images = images_of(generator, z, captions)
        per_image = (time.perf_counter() - began) / samples * 1000
        lines.append(row(f"{name}: {label}", judge(images, scenes)))
        shuffled = [scenes[(i + 37) % len(scenes)] for i in range(len(scenes))]
        lines.append(row(f"{name}: {label}, judged against shuffled captions", judge(images, shuffled)))
    _, captions, _ = make_scenes(samples, seed=11)
    z2 = rng.standard_normal((samples, generator.latent_dim)).astype(np.float32)
    other = np.concatenate([generator.render(z2[i:i + 1], caption=c) for i, c in enumerate(captions)])
    spread = np.abs(images_of(generator, z, captions).astype(np.float32) - other).mean()
    lines.append(f"<!-- {name}: {per_image:.2f} ms per caption + image on this CPU; two seeds of one caption "
                 f"differ by {spread:.1f} levels of 255 on average -->")
    return lines


def images_of(generator, z, captions):
    return np.concatenate([generator.render(z[i:i + 1], caption=c) for i, c in enumerate(captions)])


def real_spread(samples: int) -> float:
    """Mean |difference| between two drawings of the same scene: how much seeds should differ."""
    a, _, first = make_scenes(samples, seed=11)
    b, _, second = make_scenes(samples, seed=12)
    assert first == second
    return float(np.abs(a.astype(np.float32) - b).mean())


SHEET_CAPTIONS = ("two red circles on a black background", "a white background with three blue squares",
                  "A yellow triangle, grey backdrop", "three green triangles on a white background",
                  "two purple squares on a grey background", "a white circle on a black background")


def sheet(names: list[str], path, per_caption: int = 6) -> None:
    """Rows: one caption each; columns: ``per_caption`` seeds of each model, 4x enlarged, captioned."""
    from PIL import Image, ImageDraw

    from artstudio.models.loading import get_model
    from artstudio.models.registry import GENERATOR_KINDS, resolve

    scale, gap, label = 3, 6, 300
    z = np.random.default_rng(5).standard_normal((per_caption, 64)).astype(np.float32)
    tile = 32 * scale
    width = label + len(names) * (per_caption * (tile + 2) + gap)
    height = 24 + len(SHEET_CAPTIONS) * (tile + 4)
    canvas = Image.new("RGB", (width, height), (30, 30, 30))
    draw = ImageDraw.Draw(canvas)
    for m, name in enumerate(names):
        generator = get_model(resolve(name, kind=GENERATOR_KINDS), "cpu")
        x0 = label + m * (per_caption * (tile + 2) + gap)
        draw.text((x0, 4), name, fill=(230, 230, 230))
        for r, caption in enumerate(SHEET_CAPTIONS):
            images = generator.render(z[:, :generator.latent_dim], caption=caption)
            for c, image in enumerate(images):
                picture = Image.fromarray(image).resize((tile, tile), Image.NEAREST)
                canvas.paste(picture, (x0 + c * (tile + 2), 24 + r * (tile + 4)))
    for r, caption in enumerate(SHEET_CAPTIONS):
        draw.text((6, 24 + r * (tile + 4) + tile // 2 - 6), caption, fill=(230, 230, 230))
    canvas.save(path)
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="cgan model names or .safetensors paths")
    parser.add_argument("--samples", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sheet", help="also write a picture of samples for a few captions")
    args = parser.parse_args()
    print_header("Caption conditioning")
    header = "| samples | " + " | ".join(ATTRIBUTES) + " | all four |"
    print(header)
    print("|" + "---|" * (len(ATTRIBUTES) + 2))
    chance = {**CHANCE, "all": float(np.prod(list(CHANCE.values())))}
    print(row("chance", chance))
    for held, label in ((False, "real scenes, seen combinations (the judge's ceiling)"),
                        (True, "real scenes, unseen combinations")):
        real, _, scenes = make_scenes(args.samples, seed=11, held_out=held)
        print(row(label, judge(real, scenes)))
    print(f"<!-- real scenes: two drawings of one caption differ by {real_spread(args.samples):.1f} levels -->")
    for name in args.models:
        for line in evaluate(name, args.samples, args.seed):
            print(line)
    if args.sheet:
        sheet(args.models, args.sheet)


if __name__ == "__main__":
    main()
