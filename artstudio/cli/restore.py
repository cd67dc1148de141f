"""``artstudio restore``, ``denoise`` and ``upscale``: the restore operations, headless.

The methods, their descriptions and their jobs come from the restore-operation
registry (:mod:`artstudio.jobs.operations`); this module only parses, checks
the files, runs the job and prints one line.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..jobs.base import run_sync
from ..jobs.denoise import NOISE_KINDS
from ..jobs.denoise import describe as describe_denoise
from ..jobs.operations import Operation, RestoreRequest, operation, operations
from ..jobs.upscale import UPSCALE_FACTORS
from .common import CliError, _NeverCancel, _progress_printer, _seed, _user_errors
from .detect import add_detect_options, auto_mask
from .files import _check_output, _load, _save


def _methods(task: str) -> list[str]:
    """The ``--method`` choices of ``task``; the first is the default."""
    return [op.key for op in operations(task)]


def add_restore_commands(sub) -> None:
    """The ``restore``, ``denoise`` and ``upscale`` subcommands."""
    restore = _command(sub, "restore", "fill the masked areas of a photo",
                       "Fill the areas of IN marked in MASK and write OUT.", "the photo to restore")
    restore.add_argument("--mask", type=Path,
                         help="mask image of the same size: white = fill, black = keep (or --auto; "
                              "an OpenRaster IN brings its own: the layer named 'mask')")
    restore.add_argument("--auto", action="store_true",
                         help="find dust and scratches (as `artstudio detect`) and fill them, instead of --mask")
    add_detect_options(restore)
    _add_output(restore)
    restore.add_argument("--method", default=_methods("fill")[0], choices=_methods("fill"),
                         help="auto (default): the network for scratches and dust, content-aware for "
                              "anything wider; texture: content-aware (copies texture from the photo, "
                              "for objects); net: the trained inpainting network; dip: Deep Image Prior "
                              "(slow: minutes); telea, ns, biharmonic: classical fills")
    restore.add_argument("--radius", type=int, default=None,
                         help="neighbourhood radius in pixels for telea and ns (default: 5)")
    restore.add_argument("--sample-mask", type=Path, metavar="S",
                         help="texture/auto: copy texture only from the white of S (default: a band round each hole)")
    restore.add_argument("--exclude-mask", type=Path, metavar="E",
                         help="texture/auto: never copy texture from the white of E")
    restore.add_argument("--variations", type=int, default=1, metavar="N",
                         help="texture: make N seeded fills, written as OUT-1 ... OUT-N with OUT's "
                              "suffix (x.png: x-1.png ...; default: 1)")
    restore.add_argument("--seed", type=_seed, default=None, metavar="K",
                         help="texture/auto: the (first) seed; the same seed and guide give the same fill "
                              "(default: 0)")
    # The job's GUIDE_CHOICES, spelt out: importing the job here would slow every command's start.
    restore.add_argument("--guide", choices=("auto", "network", "smooth"), default="auto",
                         help="texture: what lays out the fill's structure: the inpainting network's fill, "
                              "the smooth (Telea) fill, or auto (default: the network; variations alternate, "
                              "OUT-1 network, OUT-2 smooth...)")
    _add_restore_options(restore)
    _add_denoise(sub)
    _add_upscale(sub)


def _command(sub, name: str, summary: str, description: str, photo: str):
    """A restore subcommand whose first argument is the photo IN."""
    command = sub.add_parser(name, help=summary, description=description)
    command.add_argument("input", metavar="IN", type=Path, help=photo)
    return command


def _add_output(command) -> None:
    command.add_argument("-o", "--output", required=True, type=Path, metavar="OUT",
                         help="where to write the result (.png, .jpg, .tif, .webp; .ora keeps the photo, "
                              "the fill and the mask as layers for GIMP and Krita)")


def _add_restore_options(command) -> None:
    command.add_argument("--model", metavar="NAME|PATH",
                         help="the network for --method net: a shipped name or a trained .safetensors "
                              "(default: the shipped one)")
    command.add_argument("--iterations", type=int, metavar="N",
                         help="most Deep Image Prior iterations for --method dip (it usually stops earlier)")
    command.add_argument("--overwrite", action="store_true",
                         help="allow OUT to be the input photo itself")
    command.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def _add_denoise(sub) -> None:
    denoise = _command(sub, "denoise", "remove noise from a photo",
                       "Remove gaussian or salt-and-pepper noise from IN and write OUT.", "the noisy photo")
    _add_output(denoise)
    denoise.add_argument("--method", default=_methods("denoise")[0], choices=_methods("denoise"),
                         help="net: the trained denoiser (default); nlmeans: OpenCV non-local means; "
                              "median: 3x3 median; dip: Deep Image Prior (slow)")
    denoise.add_argument("--noise", default="auto", choices=list(NOISE_KINDS),
                         help="the kind of noise; auto (default) detects salt-and-pepper by itself")
    denoise.add_argument("--strength", type=float, default=100.0, metavar="PERCENT",
                         help="how much of the change to keep, 0-100 (default 100; 50 keeps half the grain)")
    _add_restore_options(denoise)


def _add_upscale(sub) -> None:
    upscale = _command(sub, "upscale", "enlarge a photo 2x or 4x", "Upscale IN by --scale and write OUT.",
                       "the photo to enlarge")
    _add_output(upscale)
    upscale.add_argument("--scale", required=True, type=int, choices=list(UPSCALE_FACTORS),
                         help="the factor: 2 or 4")
    upscale.add_argument("--method", default=_methods("upscale")[0], choices=_methods("upscale"),
                         help="net: the trained super-resolution network (default); lanczos; "
                              "dip: Deep Image Prior (slow)")
    _add_restore_options(upscale)


def cmd_restore(args) -> int:
    from ..core.imageio import load_mask

    if args.radius is not None and not 1 <= args.radius <= 100:
        raise CliError(f"--radius must be from 1 to 100 pixels, not {args.radius}.")
    if (args.mask is not None and args.auto) or (args.mask is None and not args.auto and not _is_ora(args.input)):
        raise CliError("Give the damage to fill as --mask MASK, or find it with --auto (not both); "
                       "an OpenRaster IN may hold it as a layer named 'mask'.")
    op = operation("fill", args.method)
    _check_method_options(args, op)

    def mask(image):
        if args.auto:
            return auto_mask(image.pixels, args.sensitivity, args.quiet)
        if args.mask is not None:
            return load_mask(args.mask, image.size)
        if image.mask is None:
            raise CliError(f"'{args.input.name}' has no layer named 'mask'; give --mask MASK or --auto.")
        return image.mask

    def options(image):
        extra = {"mask": mask(image), "radius": 5 if args.radius is None else args.radius,
                 "seed": args.seed or 0, "variations": args.variations, "guide": args.guide}
        for name, path in (("sample_from", args.sample_mask), ("sample_never", args.exclude_mask)):
            if path is not None:
                extra[name] = load_mask(path, image.size)
        return extra

    outputs = variation_paths(args.output, args.variations)
    result = _run(op, args, options, outputs)
    if not args.quiet:
        wrote = args.output if len(outputs) == 1 else f"{outputs[0]} ... {outputs[-1].name}"
        print(f"Filled {result.describe()} with {op.description} in {result.seconds:.2f} s; wrote {wrote}")
    return 0


def _is_ora(path: Path) -> bool:
    """Whether IN is an OpenRaster file (by its name; its content is checked when it is read)."""
    return path.suffix.lower() == ".ora"


def variation_paths(output: Path, count: int) -> list[Path]:
    """OUT for one fill; OUT-1.png ... OUT-N.png (OUT's suffix) for ``count`` variations."""
    if count <= 1:
        return [output]
    return [output.with_name(f"{output.stem}-{k}{output.suffix}") for k in range(1, count + 1)]


def _check_method_options(args, op) -> None:
    from ..jobs.texture_fill import MAX_VARIATIONS

    if not 1 <= args.variations <= MAX_VARIATIONS:
        raise CliError(f"--variations must be from 1 to {MAX_VARIATIONS}, not {args.variations}.")
    if args.variations > 1 and "variations" not in op.options:
        raise CliError(f"--variations works with --method texture, not {op.key}.")
    if args.guide != "auto" and "guide" not in op.options:
        raise CliError(f"--guide works with --method texture, not {op.key}.")
    for flag, value in (("--sample-mask", args.sample_mask), ("--exclude-mask", args.exclude_mask)):
        if value is not None and "sample_from" not in op.options:
            raise CliError(f"{flag} works with --method texture or auto, not {op.key}.")
    # An option the method would ignore is refused, as above: a user who gives it expects it to act.
    for flag, value, option in (("--radius", args.radius, "radius"), ("--seed", args.seed, "seed"),
                                ("--model", args.model, "model"), ("--iterations", args.iterations, "iterations")):
        if value is not None and option not in op.options:
            keys = [o.key for o in operations("fill") if option in o.options]
            users = " or ".join(keys) if len(keys) < 3 else f"{', '.join(keys[:-1])} or {keys[-1]}"
            raise CliError(f"{flag} works with --method {users}, not {op.key}.")


def cmd_denoise(args) -> int:
    op = operation("denoise", args.method)
    result = _run(op, args, lambda image: {"noise": args.noise, "strength": args.strength / 100.0})
    if not args.quiet:
        print(f"{describe_denoise(result)} Wrote {args.output}")
    return 0


def cmd_upscale(args) -> int:
    op = operation("upscale", args.method)
    result = _run(op, args, lambda image: {"scale": args.scale})
    if not args.quiet:
        h, w = result.image.shape[:2]
        print(f"Upscaled x{args.scale} to {w}x{h} with {op.description} "
              f"in {result.seconds:.2f} s; wrote {args.output}")
    return 0


def _run(op: Operation, args, options, outputs: list[Path] | None = None):
    """Check the files, load IN, run ``op`` (after the time estimate for DIP), write OUT.

    ``options(image)`` gives the command's own request fields (it may read
    more files, e.g. the mask, once the image size is known). ``outputs``:
    one path per variation of a content-aware fill (default: OUT alone).
    """
    _check_in_out(args, outputs or [args.output])
    show, interactive = _progress_printer(args.quiet)
    with _user_errors(interactive):
        image = _load(args.input)
        fields = options(image)
        request = RestoreRequest(image.pixels, iterations=args.iterations, previews=False, **_model(args), **fields)
        if op.dip:
            _announce_dip(op.dip_request(request), args.quiet)
        result = run_sync(op.job(request, _NeverCancel()), show)
        # An .ora OUT names the fill's layer as the window's undo history would.
        label, mask = op.title.format(scale=getattr(args, "scale", "")), fields.get("mask")
        if outputs and len(outputs) > 1:
            _save_all(outputs, [result.apply(image.pixels, i) for i in range(len(outputs))], image, mask, label)
        else:
            _save(args.output, result.image, image, mask, label)
    if not args.quiet:
        for note in _conversions(image, args.output):
            print(note)
    return result


def _conversions(image, output: Path) -> list[str]:
    """What writing ``image``'s result as ``output`` changes beyond the fill, said once."""
    suffix, notes = output.suffix.lower(), []
    if image.bit_depth == 16:
        notes.append(f"Note: {image.path.name} has 16 bits per channel; {output.name} is written with 8.")
    if image.has_alpha and suffix in (".jpg", ".jpeg"):
        notes.append(f"Note: JPEG keeps no transparency; {output.name} is flattened onto white.")
    if suffix == ".webp":
        notes.append(f"Note: {output.name} is lossy WebP; write .png to keep every pixel as it is.")
    return notes


def _check_in_out(args, outputs: list[Path]) -> None:
    """Refuse a bad OUT (each variation's name too), OUT = IN, or OUT = one of the masks,
    before any (slow) work."""
    from ..core.imageio import WRITE_EXTENSIONS

    if getattr(args, "iterations", None) is not None and args.iterations < 1:
        raise CliError("--iterations must be at least 1.")
    inputs = [(flag, path) for flag, path in (("--mask", getattr(args, "mask", None)),
                                              ("--sample-mask", getattr(args, "sample_mask", None)),
                                              ("--exclude-mask", getattr(args, "exclude_mask", None)))
              if path is not None]
    for out in outputs:
        if out.resolve() == args.input.resolve() and not args.overwrite:
            raise CliError(f"Refusing to overwrite the input photo '{args.input}' with '{out.name}'; "
                           "choose another -o or pass --overwrite.")
        for flag, path in inputs:
            if out.resolve() == Path(path).resolve():
                raise CliError(f"Refusing to write the result over the {flag} file '{path}'; choose another -o.")
        if not out.suffix and out.name.lower() in WRITE_EXTENSIONS:      # "-o out/.png"
            raise CliError(f"Cannot write '{out.name}': give the file a name before '{out.name}'.")
        if out.suffix.lower() not in WRITE_EXTENSIONS:
            raise CliError(f"Cannot write '{out.name}': the name must end in one of "
                           f"{', '.join(WRITE_EXTENSIONS)}.")
        _check_output(out, WRITE_EXTENSIONS, "")


def _save_all(paths: list[Path], images: list, source, mask, label: str) -> None:
    """Write every variation or none: each to a hidden file beside its name first, then all
    renamed into place (a full disk, a bad name or Ctrl+C part way leaves no partial set)."""
    import os

    staged = [path.with_name(f".{path.stem}.artstudio-partial{path.suffix}") for path in paths]
    try:
        for index, (temp, pixels) in enumerate(zip(staged, images)):
            _save(temp, pixels, source, mask, f"{label} {index + 1}")
        for temp, path in zip(staged, paths):
            os.replace(temp, path)
    finally:
        for temp in staged:
            temp.unlink(missing_ok=True)


def _model(args) -> dict:
    """``--model NAME``: a shipped name or task, a network in the user's folder, or a path
    (the one resolver, models.registry.resolve, tells them apart)."""
    return {} if args.model is None else {"model": args.model}


def _announce_dip(request, quiet: bool) -> None:
    """Tell the user how long Deep Image Prior may take, before it starts."""
    from ..jobs.estimate import estimate_dip_seconds

    estimate = estimate_dip_seconds(request)
    if not quiet:
        print(f"Deep Image Prior: {estimate.describe()}.", file=sys.stderr, flush=True)
