"""Rebuild resources/demo from scikit-image's astronaut photo (public domain).

Run from the repository root: ``python packaging/make_demo.py``. The output is
deterministic for a given scikit-image build.
"""

from pathlib import Path

from skimage import data

from artstudio.core.damage import apply_damage, scratch_mask
from artstudio.core.imageio import save_image, save_mask

SEED = 1969


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "resources" / "demo"
    out.mkdir(parents=True, exist_ok=True)
    clean = data.astronaut()
    h, w = clean.shape[:2]
    mask = scratch_mask((w, h), count=9, seed=SEED, width=(2, 4), dust=25)
    save_image(out / "astronaut_scratched.png", apply_damage(clean, mask, SEED))
    save_mask(out / "astronaut_scratched_mask.png", mask)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
