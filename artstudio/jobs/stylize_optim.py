"""The optimised stylize modes (paint, texture) on one crop: working size, retries, previews.

Split from :mod:`.stylize` (which checks the request and places the
results); this module prepares the optimiser's problem at the working
size, reports its steps, and carries the result back to the crop's size.
"""

from __future__ import annotations

import time

import numpy as np

from ..core.colour_transfer import match_colours
from ..core.style_carry import carry_residual, luminance, match_luminance, resize, to_float, working_size
from .base import Cancelled, JobError, Progress, is_out_of_memory

STYLE_ENLARGE = 2.0        # a small style image is enlarged at most this much to meet the working size


def optimise_crop(r, pixels: np.ndarray, style: np.ndarray, where, cancel, span, notes: list, used: dict,
                  preview):
    """Stylise ``pixels`` (``uint8 (h, w, 3)``) after ``style`` by ``r.mode``; returns ``uint8 (h, w, 3)``.

    Out of memory: on a GPU, again at half the size, then on the CPU; on the
    CPU, at half the size down to :data:`~.stylize.MIN_RETRY_SIZE`. Each
    retry is a note in the result and a progress line.
    """
    from ..models.device import choose_device
    from .stylize import MIN_RETRY_SIZE

    full = min(int(r.size), max(pixels.shape[:2]))       # the photo is never enlarged
    device, size, smaller_tried = choose_device(r.device), full, False
    while True:
        try:
            return (yield from _attempt(r, pixels, style, where, cancel, span, size, device, preview, used))
        except Cancelled:
            raise
        except Exception as error:       # noqa: BLE001 - only memory errors are retried; others re-raised
            if not is_out_of_memory(error):
                raise
            _free(device)
            if device.type != "cpu" and not smaller_tried and size // 2 >= MIN_RETRY_SIZE:
                size, smaller_tried = size // 2, True
                note = f"The GPU ran out of memory: stylising again at {size} px."
            elif device.type != "cpu":
                import torch

                device, size = torch.device("cpu"), full
                note = "The GPU ran out of memory again: stylising on the CPU instead (slower)."
            elif size // 2 >= MIN_RETRY_SIZE:
                size //= 2
                note = f"Not enough memory: stylising again at {size} px."
            else:
                raise JobError("Not enough memory to stylise this photo, even at a small size; "
                               "close other programs and try again.") from None
            notes.append(note)
            yield Progress(span[0], note)


def _free(device) -> None:
    if device.type == "cuda":
        import torch

        torch.cuda.empty_cache()


def _attempt(r, pixels, style, where, cancel, span, size: int, device, preview, used: dict):
    from ..models.style_optim import StyleProblem, optimise
    from .stylize import DEFAULT_STEPS, PREVIEW_INTERVAL_S

    h, w = pixels.shape[:2]
    small_size = working_size(h, w, size)
    small = resize(pixels, small_size)
    long_side = max(small_size)
    scale = min(STYLE_ENLARGE, long_side / max(style.shape[:2]))
    style_small = resize(style, working_size(round(style.shape[0] * scale), round(style.shape[1] * scale),
                                             10 ** 6))
    where_small = None if where is None else resize(where, small_size)
    matched = match_colours(small, style_small, "mkl", 1.0, where=where_small)
    if r.preserve_colour:
        start = luminance(to_float(small))
        problem_style = match_luminance(luminance(to_float(style_small)), start)
        anchor = begin = start
    else:
        start, problem_style = to_float(small), to_float(style_small)
        anchor = begin = to_float(matched)
    steps = int(r.steps or DEFAULT_STEPS)
    problem = StyleProblem(begin, anchor, problem_style, r.mode, steps, float(r.content_weight), r.statistic,
                           bool(r.softmax), int(r.seed))
    run = optimise(problem, cancel.check, device)
    done, shown = 0, time.perf_counter() - PREVIEW_INTERVAL_S
    label = {"paint": "Paint like this", "texture": "Transfer texture"}[r.mode]
    while True:
        try:
            report = next(run)
        except StopIteration as stop:
            final = stop.value
            break
        done += 1
        yield Progress(span[0] + (span[1] - span[0]) * done / steps,
                       f"{label}: stage {report.stage + 1} of {report.stages}, step {done} of {steps}")
        stage_end = report.step == report.steps - 1
        if r.previews and report.image is not None and done < steps and \
                (stage_end or time.perf_counter() - shown >= PREVIEW_INTERVAL_S):
            shown = time.perf_counter()
            yield preview(carry_residual(pixels, resize(start, report.image.shape[:2]), report.image,
                                         r.strength, r.preserve_colour))
    used.update(size=size, device=device.type, reduced=used.get("reduced", False) or long_side < max(h, w))
    return carry_residual(pixels, start, final, r.strength, r.preserve_colour)
