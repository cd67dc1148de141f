"""The report of one evaluation: a text file and a PNG plot, written atomically. Pillow only.

The PNG shows what the numbers are about: a grid of samples beside a grid of
the real images they were compared with, then bars for precision / recall /
density / coverage (higher is better) and for SWD per pyramid level (lower
is better), and the remaining figures as text.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .atomic import atomic_write

GRID = 6                 # images per side of each grid
BACKGROUND, INK, DIM_INK = (28, 28, 31), (230, 230, 235), (150, 150, 158)
BAR, BAR_SWD = (74, 144, 226), (235, 130, 70)


def format_value(value: float) -> str:
    """Four significant digits, never scientific for the ranges these figures take."""
    if not math.isfinite(value):
        return str(value)
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.3e}"
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"


def figure_lines(figures: dict[str, float]) -> list[str]:
    """One ``name: value`` line per figure, in the order given."""
    return [f"{name}: {format_value(value)}" for name, value in figures.items()]


def report_text(header: dict[str, object], figures: dict[str, float], notes: list[str]) -> str:
    lines = [f"{key}: {value}" for key, value in header.items()]
    return "\n".join(lines + [""] + figure_lines(figures) + [""] + notes) + "\n"


def _grid(images: np.ndarray, cell: int) -> Image.Image:
    side = GRID * cell + (GRID + 1) * 2
    canvas = Image.new("RGB", (side, side), (12, 12, 14))
    for index, image in enumerate(images[:GRID * GRID]):
        row, col = divmod(index, GRID)
        tile = Image.fromarray(np.ascontiguousarray(image)).resize((cell, cell), Image.Resampling.NEAREST)
        canvas.paste(tile, (2 + col * (cell + 2), 2 + row * (cell + 2)))
    return canvas


def _bars(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], title: str,
          items: list[tuple[str, float]], top: float, colour) -> None:
    x0, y0, x1, y1 = box
    draw.text((x0, y0), title, fill=INK)
    row = max(16, (y1 - y0 - 22) // max(len(items), 1))
    label_w = 110
    for index, (name, value) in enumerate(items):
        y = y0 + 22 + index * row
        draw.text((x0, y + 2), name, fill=DIM_INK)
        span = x1 - x0 - label_w - 70
        length = int(span * min(max(value, 0.0) / top, 1.0)) if top > 0 and math.isfinite(value) else 0
        draw.rectangle((x0 + label_w, y + 2, x0 + label_w + max(length, 1), y + row - 4), fill=colour)
        draw.text((x0 + label_w + length + 6, y + 2), format_value(value), fill=INK)


def report_plot(title: str, figures: dict[str, float], samples: np.ndarray, real: np.ndarray,
                swd_levels: dict[str, float], prdc_names: tuple[str, ...]) -> np.ndarray:
    """``uint8 (H, W, 3)``: the picture described in the module docstring."""
    cell = 48 if samples.shape[1] <= 64 else 64
    grid_a, grid_b = _grid(samples, cell), _grid(real, cell)
    gside = grid_a.width
    shown = set(prdc_names) | set(swd_levels)
    rest = [name for name in figures if name not in shown]
    text_top = 190 + 40 + 20 * len(swd_levels)
    width, height = 2 * gside + 60 + 420, max(gside + 70, text_top + 18 * len(rest) + 12)
    canvas = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    draw.text((20, 10), title, fill=INK)
    draw.text((20, 34), "samples", fill=DIM_INK)
    draw.text((40 + gside, 34), "real images", fill=DIM_INK)
    canvas.paste(grid_a, (20, 52))
    canvas.paste(grid_b, (40 + gside, 52))
    left = 60 + 2 * gside
    prdc = [(name, figures[name]) for name in prdc_names if name in figures]
    _bars(draw, (left, 52, width - 20, 52 + 120), "precision / recall / density / coverage (higher is better)",
          prdc, max([1.0] + [v for _, v in prdc if math.isfinite(v)]), BAR)
    levels = list(swd_levels.items())
    top = max([v for _, v in levels if math.isfinite(v)] + [1e-9])
    _bars(draw, (left, 190, width - 20, 190 + 24 + 20 * max(len(levels), 1)), "SWD x1e3 per level (lower is better)",
          levels, top, BAR_SWD)
    for row, name in enumerate(rest):
        draw.text((left, text_top + 18 * row), f"{name}: {format_value(figures[name])}", fill=INK)
    return np.asarray(canvas)


def write_report(folder: Path, stem: str, text: str, plot: np.ndarray) -> tuple[Path, Path]:
    """``folder/stem.txt`` and ``folder/stem.png`` (the folder is created); ImageError on failure."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text_path, plot_path = folder / f"{stem}.txt", folder / f"{stem}.png"
    atomic_write(text_path, lambda handle: handle.write(text.encode("utf-8")))
    atomic_write(plot_path, lambda handle: Image.fromarray(plot).save(handle, format="PNG"))
    return text_path, plot_path
