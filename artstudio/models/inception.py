"""The FID Inception-v3 (``pt_inception-2015-12-05``), for real FID and KID from a user's own weights file.

FID and KID as papers report them are defined on one network: the
TensorFlow Inception of 2015-12-05, ported to PyTorch by pytorch-fid
(``FID_WEIGHTS_URL = .../fid_weights/pt_inception-2015-12-05-6726825d.pth``
in ``src/pytorch_fid/inception.py``). ArtStudio cannot ship or download it,
so these figures exist only when the user points ArtStudio at a copy they
obtained; without it, FD and KID use ArtStudio's own features and are not
comparable with published numbers.

Architecture and preprocessing follow pytorch-fid's ``InceptionV3`` with
``use_fid_inception=True`` exactly, written out here because torchvision
(whose ``Inception3`` it patches) must not be installed: torchvision's layout
(``BasicConv2d`` = conv without bias + BatchNorm eps 0.001 + ReLU; blocks
A-E; 1008 classes, no auxiliary head) with pytorch-fid's patches: the
average pools of the A, C and first E blocks leave padding out of the mean
(``count_include_pad=False``, as TensorFlow), and the last E block pools by
max. Input ``uint8 (N, H, W, 3)`` -> float in [0, 1] -> bilinear resize to
299x299 (``align_corners=False``) -> ``2x - 1`` -> the pooled 2048 features
before the classifier (block 3).

The file is checked before it is parsed: its sha256 must be
:data:`INCEPTION_SHA256`, whose first eight digits are the ``6726825d`` in
the official file name (torch.hub's ``check_hash`` convention). It is then
read with ``torch.load(weights_only=True)`` from the very bytes hashed, and
its keys and shapes must fit this network exactly (566 tensors).
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .specs import ModelError

INCEPTION_FILE = "pt_inception-2015-12-05-6726825d.pth"
# The full digest of the file above; its first 8 hex digits are pytorch-fid's file-name prefix.
INCEPTION_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
INCEPTION_BYTES = 95_628_359
MAX_FILE_BYTES = 200 << 20
RESIZE = 299
CHUNK = 32


class BasicConv2d(nn.Module):
    def __init__(self, cin: int, cout: int, **kwargs) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _tf_avg_pool(x: torch.Tensor) -> torch.Tensor:
    """TensorFlow's 3x3 average pool: padded zeros are not counted (pytorch-fid's patch)."""
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):
    def __init__(self, cin: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(cin, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(_tf_avg_pool(x))], 1)


class InceptionB(nn.Module):
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionC(nn.Module):
    def __init__(self, cin: int, channels_7x7: int) -> None:
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                      self.branch7x7dbl_5):
            d = layer(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(_tf_avg_pool(x))], 1)


class InceptionD(nn.Module):
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionE(nn.Module):
    """``pool="avg"``: pytorch-fid's ``FIDInceptionE_1``; ``"max"``: ``FIDInceptionE_2``."""

    def __init__(self, cin: int, pool: str) -> None:
        super().__init__()
        self.pool = pool
        self.branch1x1 = BasicConv2d(cin, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(cin, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        pooled = _tf_avg_pool(x) if self.pool == "avg" else F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        return torch.cat([self.branch1x1(x), b3, d, self.branch_pool(pooled)], 1)


class FIDInceptionV3(nn.Module):
    """``uint8 (N, H, W, 3)`` images -> ``float32 (N, 2048)`` pool features (see the module docstring).

    The 1008-way ``fc`` layer is kept only so that the official file's keys
    fit exactly; it is never run.
    """

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, pool="avg")
        self.Mixed_7c = InceptionE(2048, pool="max")
        self.fc = nn.Linear(2048, 1008)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``float (N, 3, H, W)`` in [0, 1] -> ``(N, 2048)``."""
        x = F.interpolate(x, size=(RESIZE, RESIZE), mode="bilinear", align_corners=False)
        x = 2 * x - 1
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), kernel_size=3, stride=2)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                      self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = block(x)
        return F.adaptive_avg_pool2d(x, 1).flatten(1)

    def extract(self, images: np.ndarray) -> np.ndarray:
        """``uint8 (N, H, W, 3)`` -> ``float64 (N, 2048)``, in chunks, under inference mode."""
        device = self.fc.weight.device
        parts = []
        with torch.inference_mode():
            for start in range(0, len(images), CHUNK):
                chunk = torch.from_numpy(np.ascontiguousarray(images[start:start + CHUNK])).to(device)
                parts.append(self(chunk.permute(0, 3, 1, 2).float() / 255.0).double().cpu().numpy())
        return np.concatenate(parts) if parts else np.empty((0, 2048))


def load_inception(path: Path, sha256: str = INCEPTION_SHA256, device="cpu") -> FIDInceptionV3:
    """The FID Inception from a user's ``pt_inception-2015-12-05-6726825d.pth``, checksum first.

    ``sha256`` is the official file's; tests pass another to load a randomly
    initialised file of the same layout. Every refusal is one
    :class:`~.specs.ModelError` line.
    """
    from .weights import check_fits, check_tensors

    path = Path(path)
    data = _read(path)
    if hashlib.sha256(data).hexdigest() != sha256.lower():
        raise ModelError(f"Inception file '{path.name}' is not {INCEPTION_FILE} (sha256 mismatch: damaged, "
                         "tampered with or another network); FID needs exactly that file.")
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:         # weights_only refuses anything but tensors and containers
        first = (str(error).splitlines() or ["unknown error"])[0][:120]
        raise ModelError(f"Inception file '{path.name}' cannot be read as weights ({first}).") from None
    if not isinstance(state, dict) or not all(isinstance(k, str) and torch.is_tensor(v) for k, v in state.items()):
        raise ModelError(f"Inception file '{path.name}' does not hold a state dict of tensors.")
    check_tensors(state, path)
    with torch.device("meta"):
        net = FIDInceptionV3()      # shapes only: no random initialisation to overwrite
    check_fits(net, state, path, "the FID Inception-v3 (pt_inception-2015-12-05)")
    tensors = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    for name, _ in net.named_buffers():
        if name.endswith("num_batches_tracked"):     # optional in a file (older saves lack them)
            tensors.setdefault(name, torch.zeros((), dtype=torch.long))
    net.load_state_dict(tensors, strict=True, assign=True)    # the checked tensors become the weights
    return net.requires_grad_(False).eval().to(device)


def _read(path: Path) -> bytes:
    try:
        if not path.is_file():
            raise ModelError(f"Inception file '{path}' does not exist.")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ModelError(f"Inception file '{path.name}' is {size >> 20} MB; {INCEPTION_FILE} is "
                             f"{INCEPTION_BYTES / 1e6:.1f} MB.")
        with open(path, "rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ModelError(f"Inception file '{path.name}' cannot be read ({error.strerror or error}).") from None
