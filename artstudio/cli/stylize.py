"""``artstudio stylize``: give a photo the colours, brushwork or texture of a style image, headless.

The modes and their jobs come from the restore-operation registry (task
``stylize``, :mod:`artstudio.jobs.operations`); this module parses, checks
the files, runs the job and prints one line. A PNG OUT carries the recipe
(mode, style file hash, weights, seed, steps, engine version); other
formats keep the photo's EXIF and colour profile but have nowhere for it.

Register it with :func:`add_stylize` and dispatch ``stylize`` to
:func:`cmd_stylize` (``artstudio.cli``).
"""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..core.colour_transfer import METHODS
from ..jobs.base import run_sync
from ..jobs.operations import RestoreRequest, operation, operations
from ..jobs.stylize import DEFAULT_SIZE, DEFAULT_STEPS, MAX_STEPS, SIZES, STATISTICS
from .common import CliError, _NeverCancel, _progress_printer, _seed, _user_errors


def add_stylize(sub) -> None:
    """The ``stylize`` subcommand."""
    modes = [op.key for op in operations("stylize")]
    command = sub.add_parser(
        "stylize", help="give a photo the look of a style image (colours, paint, texture)",
        description="Give IN the colours, brushwork or texture of STYLE and write OUT. No trained "
                    "weights: it copies colour mood, grain and brush-like texture, not meaning.")
    command.add_argument("input", metavar="IN", type=Path, help="the photo")
    command.add_argument("--style", required=True, type=Path, metavar="STYLE",
                         help="the style image: a painting or a photo (at least 64 px a side)")
    command.add_argument("-o", "--output", required=True, type=Path, metavar="OUT",
                         help="where to write the result; a .png keeps the recipe inside")
    command.add_argument("--mode", default=modes[0], choices=modes,
                         help="colour (default): match the colours, instant; paint: paint like STYLE "
                              "(optimised, ~10-60 s); texture: transfer STYLE's texture (patch distributions)")
    command.add_argument("--method", default="mkl", choices=list(METHODS),
                         help="colour mode: mkl (default, the whole colour covariance), reinhard "
                              "(mean and spread in Lab), histogram (each channel's histogram)")
    command.add_argument("--strength", type=float, default=1.0, metavar="S",
                         help="0 keeps the photo, 1 (default) takes the whole effect")
    command.add_argument("--mask", type=Path, metavar="M",
                         help="stylise only the white of M (same size as IN; grey blends); "
                              "black pixels stay exactly as they are")
    command.add_argument("--outside-style", type=Path, metavar="STYLE2",
                         help="with --mask: a second style for the black of M")
    command.add_argument("--preserve-colour", action="store_true",
                         help="paint/texture: change the brightness only, keep the photo's colours")
    command.add_argument("--steps", type=int, default=None, metavar="N",
                         help=f"paint/texture: optimisation steps (default {DEFAULT_STEPS})")
    command.add_argument("--size", type=int, default=DEFAULT_SIZE, metavar="PX",
                         help=f"paint/texture: working long side in px (default {DEFAULT_SIZE}, at most "
                              f"{max(SIZES)}); a bigger photo is stylised at this size and the change "
                              "carried back to its full resolution")
    command.add_argument("--content-weight", type=float, default=1.0, metavar="W",
                         help="paint/texture: how much of the photo's structure is kept (default 1; 0 = style only)")
    command.add_argument("--statistic", default=STATISTICS[0], choices=list(STATISTICS),
                         help="paint: sliced (default, Wasserstein) or gram statistics of the random features")
    command.add_argument("--softmax", action="store_true",
                         help="paint: SWAG's softmax on the random features instead of ReLU")
    command.add_argument("--seed", type=_seed, default=0, metavar="K",
                         help="paint/texture: the random filters; the same seed gives the same pixels (default 0)")
    command.add_argument("--overwrite", action="store_true", help="allow OUT to be IN itself")
    command.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def _check_numbers(args) -> None:
    if not 0.0 <= args.strength <= 1.0:
        raise CliError(f"--strength must be from 0 to 1, not {args.strength}.")
    if args.steps is not None and not 1 <= args.steps <= MAX_STEPS:
        raise CliError(f"--steps must be from 1 to {MAX_STEPS}, not {args.steps}.")
    if not 32 <= args.size <= max(SIZES):
        raise CliError(f"--size must be from 32 to {max(SIZES)} px, not {args.size}.")
    if args.content_weight < 0:
        raise CliError(f"--content-weight cannot be negative, not {args.content_weight}.")
    if args.outside_style is not None and args.mask is None:
        raise CliError("--outside-style needs --mask: the mask says where the first style goes.")
    optimised = args.mode != "colour"
    for flag, given in (("--preserve-colour", args.preserve_colour), ("--steps", args.steps is not None),
                        ("--softmax", args.softmax)):
        if given and not optimised:
            raise CliError(f"{flag} works with --mode paint or texture, not colour.")


def _check_files(args) -> None:
    from ..core.imageio import WRITE_EXTENSIONS
    from .files import _check_output

    if args.output.resolve() == args.input.resolve() and not args.overwrite:
        raise CliError(f"Refusing to overwrite the input photo '{args.input}'; "
                       "choose another -o or pass --overwrite.")
    for style in (args.style, args.outside_style):
        if style is not None and args.output.resolve() == style.resolve():
            raise CliError(f"Refusing to overwrite the style image '{style}'; choose another -o.")
    _check_output(args.output, WRITE_EXTENSIONS, "that is not an image format ArtStudio writes")


def cmd_stylize(args) -> int:
    """Run ``artstudio stylize``; 0 on success (a CliError line otherwise)."""
    _check_numbers(args)
    _check_files(args)
    op = operation("stylize", args.mode)
    show, interactive = _progress_printer(args.quiet)
    with _user_errors(interactive):
        from ..core.imageio import load_mask
        from .files import _load

        image = _load(args.input)
        style = _load(args.style)
        outside = _load(args.outside_style) if args.outside_style is not None else None
        mask = load_mask(args.mask, image.size) if args.mask is not None else None
        request = RestoreRequest(
            image.pixels, mask, style=style.pixels, style_outside=None if outside is None else outside.pixels,
            colour_method=args.method, strength=args.strength, preserve_colour=args.preserve_colour,
            steps=args.steps, size=args.size, content_weight=args.content_weight, statistic=args.statistic,
            softmax=args.softmax, seed=args.seed, previews=False)
        result = run_sync(op.job(request, _NeverCancel()), show)
        recipe = with_style_files(result.recipe, args.style, args.outside_style)
        kept = _write(args.output, result.image, image, mask, op.title, recipe)
    if not args.quiet:
        for note in result.notes:
            print(f"Note: {note}")
        print(f"Stylized {args.input.name} after {args.style.name} ({result.describe()}) "
              f"in {result.seconds:.2f} s; wrote {args.output}{kept}")
    return 0


def with_style_files(recipe: dict, style: Path, outside: Path | None = None) -> dict:
    """``recipe`` plus the style files' names and SHA-256 (what tells a later run it has the same file)."""
    from ..core.style_recipe import file_sha256

    out = dict(recipe)
    out["style"] = {"name": style.name, "sha256": file_sha256(style)}
    if outside is not None:
        out["style_outside"] = {"name": outside.name, "sha256": file_sha256(outside)}
    return out


def _write(path: Path, pixels, source, mask, label: str, recipe: dict) -> str:
    """Write OUT (a PNG with the recipe); returns what to add to the printed line."""
    if path.suffix.lower() == ".png":
        from ..core.style_recipe import write_png_with_style_recipe

        write_png_with_style_recipe(path, pixels, [recipe], __version__, meta=source.meta)
        return " (recipe inside)"
    from .files import _save

    _save(path, pixels, source, mask, label)
    return " (only a .png keeps the recipe)"
