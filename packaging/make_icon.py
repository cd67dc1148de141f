"""Draw resources/icons/artstudio.png (256 px): a brush stroke healing a crack.

Run from the repository root: ``python packaging/make_icon.py``.
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def main() -> None:
    size = 256
    y, x = np.mgrid[0:size, 0:size] / size
    bg = np.stack([40 + 60 * x, 70 + 90 * y, 140 + 80 * (1 - x)], -1).astype(np.uint8)
    img = Image.fromarray(bg).convert("RGBA")
    rounded = Image.new("L", (size, size), 0)
    ImageDraw.Draw(rounded).rounded_rectangle((0, 0, size - 1, size - 1), 48, fill=255)
    img.putalpha(rounded)
    draw = ImageDraw.Draw(img)
    draw.line([(40, 70), (110, 120), (90, 160), (170, 215)], fill=(245, 240, 230, 255), width=7)
    draw.line([(60, 200), (200, 60)], fill=(255, 40, 80, 230), width=34)
    draw.ellipse((182, 42, 218, 78), fill=(255, 40, 80, 255))
    out = Path(__file__).resolve().parent.parent / "resources" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    img.save(out / "artstudio.png")


if __name__ == "__main__":
    main()
