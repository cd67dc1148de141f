"""``artstudio generate``, ``interpolate`` and ``models``: render from the generative models.

torch is imported only inside the commands that render, so ``--help`` and
``models`` start fast.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

from .. import __version__
from ..jobs.base import run_sync
from .common import CliError, _app_paths, _NeverCancel, _progress_printer, _seed, _user_errors
from .files import _check_output

MIN_SIZE, MAX_SIZE = 8, 16384
MAX_FRAMES = 2000
MAX_ANIMATION_BYTES = 4 << 30
DEFAULT_FPS = 20.0   # 50 ms: exact in GIF's hundredths of a second


def add_generate_commands(sub) -> None:
    """The ``generate``, ``interpolate`` and ``models`` subcommands."""
    _add_generate(sub)
    _add_interpolate(sub)
    sub.add_parser("models", help="list the generators ArtStudio can use",
                   description="List the built-in generators and the models found in your models folder.")


def _add_generate(sub) -> None:
    gen = sub.add_parser(
        "generate", help="render one image from a generative model",
        description="Render the latent of SEED with MODEL and write OUT as a PNG with its recipe "
                    "inside (open it in ArtStudio to continue from exactly there). The same "
                    "arguments always give the same pixels.")
    gen.add_argument("--model", required=True, metavar="NAME", help=_MODEL_HELP)
    gen.add_argument("--seed", required=True, type=_seed, metavar="N",
                     help="latent seed (a whole number >= 0)")
    gen.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.png",
                     help="where to write the PNG")
    _add_render_options(gen, sizes=True)
    gen.add_argument("--edit", action="append", default=[], type=_edit, metavar="INDEX=SIGMA",
                     help="move SIGMA standard deviations along direction INDEX (0 = strongest; "
                          "repeatable), e.g. --edit 0=1.5 --edit 3=-2")
    gen.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def _add_interpolate(sub) -> None:
    interp = sub.add_parser(
        "interpolate", help="animate a path through the latents of several seeds",
        description="Slerp through the latents of the SEEDS in order and write an animation; "
                    "the extension of OUT picks GIF, APNG (.png) or WebP.")
    interp.add_argument("--model", required=True, metavar="NAME", help=_MODEL_HELP)
    interp.add_argument("--seeds", required=True, type=_seed_list, metavar="A,B[,C...]",
                        help="the keyframe seeds, comma-separated (at least two)")
    interp.add_argument("--frames", required=True, type=int, metavar="N", help="number of frames")
    interp.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.gif",
                        help="where to write the animation (.gif, .png, .webp)")
    _add_render_options(interp)
    interp.add_argument("--fps", type=float, default=DEFAULT_FPS,
                        help=f"frames per second (default: {DEFAULT_FPS:g})")
    interp.add_argument("--loop", action="store_true",
                        help="return to the first seed and play forever (default: play once)")
    interp.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


_MODEL_HELP = "generator name, as listed by 'artstudio models'"


def _add_render_options(command, sizes: bool = False) -> None:
    if sizes:
        command.add_argument("--size", type=_size, metavar="PX|WxH",
                             help="output size: PX for a square or WxH, e.g. 1920x1080 (default: the "
                                  "model's own). CPPNs render any size and aspect natively; GAN and VAE "
                                  "images are upscaled and a wide or tall size is the centre of the square")
    else:
        command.add_argument("--size", type=int, metavar="PX",
                             help="output side in pixels (default: the model's own; CPPNs render at "
                                  "any size, GAN images are upscaled)")
    command.add_argument("--caption", metavar="TEXT",
                         help="what a caption-conditioned model (kind cgan) draws, e.g. "
                              "'two red circles on a black background'; recorded in the recipe")
    command.add_argument("--truncation", type=float, default=1.0, metavar="T",
                         help="pull latents towards the average, in (0, 1]; 1 is off (default)")


def _seed_list(text: str) -> list[int]:
    seeds = [_seed(part.strip()) for part in text.split(",")]
    if len(seeds) < 2:
        raise argparse.ArgumentTypeError(f"'{text}' has one seed; give at least two, e.g. 1,2")
    return seeds


MAX_EDIT_SIGMA = 10.0           # latents are standard normal: beyond this is noise
MAX_ANIMATION_SIDE = 2048       # frames are rendered whole, not tiled

_EDIT = re.compile(r"^\s*(\d+)\s*=\s*([-+]?[0-9.eE+-]+)\s*$")
_SIZE = re.compile(r"^\s*(\d{1,6})\s*(?:[xX×]\s*(\d{1,6})\s*)?$")


def _size(text: str) -> int | tuple[int, int]:
    """``"512"`` -> 512 (a square), ``"1920x1080"`` -> (1920, 1080) (width, height)."""
    match = _SIZE.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"invalid size '{text}': use PX for a square or WxH, e.g. 1920x1080")
    width = int(match.group(1))
    return width if match.group(2) is None else (width, int(match.group(2)))


def _edit(text: str) -> tuple[int, float]:
    match = _EDIT.match(text)
    try:
        index, sigma = int(match.group(1)), float(match.group(2))
    except (AttributeError, ValueError):
        raise argparse.ArgumentTypeError(f"invalid edit '{text}': use INDEX=SIGMA, e.g. 3=1.5") from None
    if not (math.isfinite(sigma) and abs(sigma) <= MAX_EDIT_SIGMA):
        raise argparse.ArgumentTypeError(
            f"invalid edit '{text}': SIGMA must be a number from -{MAX_EDIT_SIGMA:g} to {MAX_EDIT_SIGMA:g}")
    return index, sigma


def cmd_generate(args) -> int:
    from ..core.latent import sample_latent
    from ..core.latent_state import LatentState
    from ..core.recipe import write_png_with_recipe

    _check_common(args)
    indices = [index for index, _ in args.edit]
    if len(set(indices)) != len(indices):
        raise CliError("Each direction can be edited once; "
                       f"{sorted({i for i in indices if indices.count(i) > 1})} appear more than once.")
    _check_output(args.output, (".png",), "generate writes a PNG with the recipe inside")
    paths = _app_paths()
    show, interactive = _progress_printer(args.quiet)
    with _user_errors(interactive):
        generator = _generator(args.model, paths)
        spec = generator.spec
        caption = _caption(args.caption, spec)
        vectors = _edit_vectors(generator, indices, paths.cache)
        state = LatentState(spec.name, generator.model_hash, args.seed,
                            sample_latent(spec.latent_dim, args.seed), args.truncation, tuple(args.edit),
                            caption=caption)
        image = _render_one(spec.name, state.effective(vectors), args.size, paths.models, show, caption)
        write_png_with_recipe(args.output, image, state, __version__)
    if not args.quiet:
        edits = "".join(f", direction {i} {s:+g}" for i, s in state.edits)
        said = f' "{caption}"' if caption else ""
        print(f"Generated {spec.name}{said} seed {args.seed} at {image.shape[1]}x{image.shape[0]}"
              f"{edits}; wrote {args.output}")
        unknown = generator.unknown_words(caption) if generator.conditioned else []
        if unknown:
            print(f"Note: {spec.name} never saw the word(s) {', '.join(unknown)} in training; "
                  "they were read as unknown.")
    return 0


def cmd_interpolate(args) -> int:
    from ..core.animation import ANIMATION_EXTENSIONS, save_animation
    from ..core.latent import interpolation_path, sample_latent, truncate

    _check_common(args)
    if args.size is not None and args.size > MAX_ANIMATION_SIDE:
        raise CliError(f"--size for an animation must be at most {MAX_ANIMATION_SIDE} pixels, not {args.size}.")
    if not len(args.seeds) <= args.frames <= MAX_FRAMES:
        raise CliError(f"--frames must be from {len(args.seeds)} (one per seed) to {MAX_FRAMES}, "
                       f"not {args.frames}.")
    if not (math.isfinite(args.fps) and 0 < args.fps <= 100):
        raise CliError(f"--fps must be above 0 and at most 100, not {args.fps:g}.")
    _check_output(args.output, tuple(ANIMATION_EXTENSIONS), "animations are written as "
                  + ", ".join(ANIMATION_EXTENSIONS))
    paths = _app_paths()
    show, interactive = _progress_printer(args.quiet)
    with _user_errors(interactive):
        spec = _find(args.model, paths)
        caption = _caption(args.caption, spec)
        side = args.size or spec.resolution
        if args.frames * side * side * 3 > MAX_ANIMATION_BYTES:
            raise CliError(f"{args.frames} frames of {side}x{side} would need more than "
                           f"{MAX_ANIMATION_BYTES >> 30} GB; use fewer frames or a smaller --size.")
        keys = [sample_latent(spec.latent_dim, seed) for seed in args.seeds]
        path = truncate(interpolation_path(keys, args.frames, args.loop), args.truncation)
        frames = _render_many(spec, path, args.size, paths.models, show, caption)
        save_animation(args.output, frames, args.fps, loop=args.loop)
    if not args.quiet:
        print(f"Interpolated {spec.name} through seeds {','.join(map(str, args.seeds))}: "
              f"{len(frames)} frames of {frames.shape[2]}x{frames.shape[1]} at {args.fps:g} fps; "
              f"wrote {args.output}")
    return 0


def cmd_models(args) -> int:
    from ..models.registry import catalog

    scan = catalog(_app_paths().models)      # one scan: generators, networks, and what was skipped
    rows = [("NAME", "KIND", "LATENT", "RESOLUTION", "SOURCE", "LICENCE")]
    for spec in (s for s in scan.specs if s.is_generator):
        resolution = f"any ({spec.resolution})" if spec.kind == "cppn" else f"{spec.resolution}"
        rows.append((spec.name, spec.kind, str(spec.latent_dim), resolution, spec.source, spec.licence))
    _print_table(rows)
    rows = [("RESTORATION", "TASK", "SOURCE")]
    rows += [(spec.name, spec.task, spec.source) for spec in scan.specs if spec.kind == "restore"]
    print()
    _print_table(rows)
    for line in scan.skipped:                # a broken card is named, never fatal
        print(line, file=sys.stderr)
    return 0


def _print_table(rows) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join([cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]))


def _check_common(args) -> None:
    sides = () if args.size is None else (args.size,) if isinstance(args.size, int) else args.size
    if not all(MIN_SIZE <= side <= MAX_SIZE for side in sides):
        shown = args.size if isinstance(args.size, int) else "x".join(map(str, args.size))
        raise CliError(f"--size must be from {MIN_SIZE} to {MAX_SIZE} pixels per side, not {shown}.")
    if not (math.isfinite(args.truncation) and 0 < args.truncation <= 1):
        raise CliError(f"--truncation must be above 0 and at most 1, not {args.truncation:g}.")


def _find(name: str, paths):
    from ..models.registry import find_model

    return find_model(name, paths.models)


def _generator(name: str, paths):
    _find(name, paths)  # the clear "Unknown model" line before torch loads
    from ..jobs.generate import get_generator

    try:
        return get_generator(name, paths.models)
    except ValueError as exc:  # e.g. an unknown $ARTSTUDIO_DEVICE
        raise CliError(str(exc)) from None


def _edit_vectors(generator, indices: list[int], cache: Path):
    """The direction vectors the edits need, or None when there are none."""
    if not indices:
        return None
    available = generator.latent_dim
    bad = [i for i in indices if i >= available]
    if bad:
        raise CliError(f"Direction {bad[0]} does not exist: model '{generator.spec.name}' has "
                       f"{available} directions (0-{available - 1}).")
    # Vector i does not depend on how many are computed; ask for at least
    # the 20 the window shows so the cache is shared with it.
    return generator.directions(count=max(20, max(indices) + 1), cache_dir=cache).vectors


def _caption(text: str | None, spec) -> str:
    """The caption to draw: required by a cgan, refused by every other model (one line either way)."""
    from ..core.latent_state import MAX_CAPTION

    name = spec.name
    if spec.kind != "cgan":
        if text is not None:
            raise CliError(f"Model '{name}' is {spec.what()}, which takes no caption; "
                           "--caption is for caption-conditioned models (kind cgan).")
        return ""
    if text is None:
        raise CliError(f"Model '{name}' draws what a caption says: give one with --caption TEXT.")
    caption = " ".join(text.split())
    if len(caption) > MAX_CAPTION or not caption.isprintable():
        raise CliError(f"--caption must be one line of at most {MAX_CAPTION} printable characters.")
    return caption


def _render_one(model: str, latent, size: int | None, user_dir: Path, show, caption: str = ""):
    from ..jobs.generate import ExportRequest, RenderRequest, run_export, run_render

    if size is None:
        request = RenderRequest(model, latent[None], None, user_dir, caption=caption)
        return run_sync(run_render(request, _NeverCancel()), show)[0]
    return run_sync(run_export(ExportRequest(model, latent, size, user_dir, caption=caption), _NeverCancel()),
                    show)


def _render_many(spec, latents, size: int | None, user_dir: Path, show, caption: str = ""):
    import numpy as np

    from ..jobs.generate import RenderRequest, run_render

    if size is None or spec.kind == "cppn":
        request = RenderRequest(spec.name, latents, size, user_dir, caption=caption)
        return run_sync(run_render(request, _NeverCancel()), show)
    # GANs render natively and are upscaled frame by frame as in generate
    return np.stack([_render_one(spec.name, latent, size, user_dir, show, caption) for latent in latents])
