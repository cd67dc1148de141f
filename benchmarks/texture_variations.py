"""Are a content-aware fill's variations worth choosing between? Seeds alone against alternating guides.

A user who gets N variations picks the one that looks right. This measures
what that choice is worth: for each held-out photo (a 512 px centre crop, as
``texture_fill.py``) and hole (96 and 160 px boxes, a standing person), the
content-aware fill makes ``--count`` variations through the job the app and
the CLI run (:func:`artstudio.jobs.texture_fill.run_texture_fill`), twice:

- ``network``: every variation guided by the inpainting network's fill
  (only the seed differs, as before the guides alternated);
- ``auto``: the guides alternate, network first, then the smooth (Telea)
  fill.

For each it reports the first variation's scores (what one fill gives) and
the best variation's, picked by its distance to the truth (an oracle for
the user's eye): low-passed PSNR (Gaussian sigma 3 on result and truth: is
the structure right?) and hole PSNR; and how often a smooth-guided variation
was the best. The first variation is the same in both runs.

Run::

    python benchmarks/texture_variations.py --photos DIR [--count 3]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import _common  # noqa: F401  (puts the repository on sys.path)
import numpy as np
from texture_fill import _photos, hole_mask, measure

SHAPES = ("box96", "box160", "person")
GUIDES = ("network", "auto")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, required=True, help="folder of held-out photos")
    parser.add_argument("--count", type=int, default=3, help="variations per fill (default: 3, the app's)")
    args = parser.parse_args(argv)

    import torch

    from artstudio.jobs.base import CancelToken, run_sync
    from artstudio.jobs.texture_fill import TextureRequest, run_texture_fill

    torch.set_num_threads(2)
    _common.print_header("Content-aware fill variations (issue 11)")
    photos = _photos(args.photos)
    print(f"photos    : {len(photos)} held out ({', '.join(name for name, _ in photos)})")
    print(f"holes     : {', '.join(SHAPES)}; {args.count} variations, seeds 0..{args.count - 1}\n")
    rows = {guide: [] for guide in GUIDES}     # per hole: (first, best, best is smooth-guided)
    for name, image in photos:
        for shape in SHAPES:
            hole = hole_mask(shape)
            mask = hole.astype(np.uint8) * 255
            for guide in GUIDES:
                result = run_sync(run_texture_fill(TextureRequest(image, mask, variations=args.count, guide=guide,
                                                                  previews=False, device="cpu"), CancelToken()))
                scores = [measure(result.apply(image, k), image, hole) for k in range(args.count)]
                best = max(range(args.count), key=lambda k: scores[k][1])
                rows[guide].append((scores[0], scores[best], result.guides[best] == "smooth"))
        print(f"  {name}: done", flush=True)
    print()
    print(report(rows, args.count))
    return 0


def report(rows, count: int) -> str:
    lines = [f"| guides | first: low-passed PSNR | best of {count}: low-passed PSNR | first: hole PSNR "
             f"| best of {count}: hole PSNR | best is smooth-guided |", "|---|---|---|---|---|---|"]
    for guide, entries in rows.items():
        first = np.array([e[0] for e in entries])
        best = np.array([e[1] for e in entries])
        smooth = np.mean([e[2] for e in entries])
        lines.append(f"| {guide} | {first[:, 1].mean():.2f} | {best[:, 1].mean():.2f} | {first[:, 0].mean():.2f} "
                     f"| {best[:, 0].mean():.2f} | {100 * smooth:.0f} % |")
    gain = np.mean([e[1][1] for e in rows["auto"]]) - np.mean([e[1][1] for e in rows["network"]])
    lines.append("")
    lines.append(f"Best-of-{count} low-passed PSNR, alternating guides minus seeds alone: {gain:+.2f} dB "
                 f"over {len(rows['auto'])} holes")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
