"""Loaded generators behind one interface: latents in, uint8 RGB images out.

:func:`load_generator` turns a :class:`~.registry.ModelSpec` into a
:class:`LatentGenerator`. torch is imported only when one is loaded, so the
window can import this module (for :class:`Directions`) at start-up.

Contract for every generator
----------------------------
latents   ``float32 (N, D)``, D = ``latent_dim``; standard normal is typical.
caption   what a caption-conditioned model (``cgan``) draws; other models take
          none (``conditioned`` False) and ignore it.
images    ``uint8 (N, S, S, 3)`` RGB.
render    deterministic and batch-invariant: every latent is rendered on its
          own, so one z gives the same pixels at batch 1 and batch 16, and
          the same pixels on every call, under ``torch.inference_mode()``
          with the network in eval mode.
threads   a generator is confined to the thread that uses it (the job thread).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.rect import Rect
from .specs import ModelError, ModelSpec, config_hash
from .sefa import Directions, load_cached, save_cached, sefa_directions

__all__ = ["Directions", "LatentGenerator", "load_generator"]

CPPN_CHUNK_PIXELS = 1 << 16     # bounds memory: ~8 MB of activations per layer
CPPN_MIN_SIZE = 8
CPPN_CACHED_GRID_PIXELS = 512 * 512


class LatentGenerator:
    """A loaded model; see the module docstring for the contract.

    Attributes
    ----------
    spec : ModelSpec
    latent_dim : int
    native_size : int
        GAN: output side in px. CPPN: default render side.
    model_hash : str
        sha256 hex of the weights file, or of a CPPN's canonical config.
    device : torch.device
    """

    encoder = None    # a VAE's encoder: image (N, 3, R, R) in [0, 1] -> (mu, logvar)
    conditioned = False   # True: render/forward draw what ``caption`` says

    def __init__(self, spec: ModelSpec, net, model_hash: str, device) -> None:
        self.spec, self.net, self.model_hash, self.device = spec, net, model_hash, device
        self.latent_dim = spec.latent_dim
        self.native_size = spec.resolution

    def render(self, latents: np.ndarray, size: int | None = None, caption: str = "") -> np.ndarray:
        """``(N, D)`` latents -> ``uint8 (N, S, S, 3)``; S = ``size`` or native."""
        raise NotImplementedError

    def render_tile(self, latent: np.ndarray, full_size: tuple[int, int], rect: Rect) -> np.ndarray:
        """The ``uint8 (h, w, 3)`` pixels of ``rect`` in a ``full_size = (W, H)`` render."""
        raise ModelError(f"Model '{self.spec.name}' renders at {self.native_size} px only; "
                         "tiled rendering is for CPPN models.")

    def forward(self, z, full_size: tuple[int, int] | None = None, caption: str = ""):
        """Differentiable render for optimisation: ``(N, D)`` tensor -> ``(N, 3, H, W)`` in [0, 1].

        ``full_size`` is (W, H) for a CPPN (default native square); GANs
        ignore it. The caller chooses grad mode; the network is frozen.
        """
        raise NotImplementedError

    def first_layer_matrix(self) -> np.ndarray:
        """``float64 (D, F)``: the linear map from z to the first layer's output."""
        import torch

        with torch.inference_mode():
            return self.net.first_layer_matrix().detach().cpu().double().numpy()

    def directions(self, count: int = 20, cache_dir: Path | None = None) -> Directions:
        """SeFa directions: the top ``min(count, D)`` by eigenvalue, cached by model hash.

        GAN: the first ConvTranspose2d (with its eval BatchNorm scale folded
        in); CPPN: the z-part of the first Linear.
        """
        count = max(1, min(int(count), self.latent_dim))
        if cache_dir is not None:
            cached = load_cached(Path(cache_dir), self.model_hash, count, self.latent_dim)
            if cached is not None:
                return cached
        directions = sefa_directions(self.first_layer_matrix(), count)
        if cache_dir is not None:
            try:
                save_cached(Path(cache_dir), self.model_hash, count, directions)
            except OSError:
                pass    # a read-only cache costs a recomputation, nothing more
        return directions

    def _check_latents(self, latents: np.ndarray) -> np.ndarray:
        latents = np.asarray(latents)
        if latents.ndim != 2 or latents.shape[1] != self.latent_dim:
            raise ModelError(f"Model '{self.spec.name}' takes latents of shape (N, {self.latent_dim}); "
                             f"got {tuple(latents.shape)}.")
        if not np.isfinite(latents).all():
            raise ModelError("The latent contains NaN or infinite values.")
        return np.array(latents, dtype=np.float32, order="C")   # a writable copy: torch warns on read-only memory


class GanGenerator(LatentGenerator):
    """A DCGAN-layout generator or VAE decoder at its native resolution.

    Renders with a fused copy of the network (BatchNorm folded in; see
    ``dcgan.FusedDCGAN``); :meth:`forward` keeps the original for gradients.
    """

    def __init__(self, spec: ModelSpec, net, model_hash: str, device) -> None:
        from .dcgan import FusedDCGAN

        super().__init__(spec, net, model_hash, device)
        self._fast = FusedDCGAN(self._fused_source(net)).to(device).eval()

    def _fused_source(self, net):
        """The DCGAN stack the fused copy is made of."""
        return net

    def _inputs(self, z, caption: str):
        """What the fused network takes for latents ``z`` (a tensor of shape (N, D))."""
        return z

    def render(self, latents: np.ndarray, size: int | None = None, caption: str = "") -> np.ndarray:
        import torch

        latents = self._check_latents(latents)
        if size is not None and size != self.native_size:
            raise ModelError(f"Model '{self.spec.name}' renders at {self.native_size} px only "
                             f"(asked for {size}); upscale the result instead.")
        side = self.native_size
        out = np.empty((len(latents), side, side, 3), np.uint8)
        with torch.inference_mode():
            inputs = self._inputs(torch.from_numpy(latents).to(self.device), caption)
            for index in range(len(latents)):   # one at a time: batch-invariant pixels
                out[index] = _to_uint8(self.net.to_unit(self._fast(inputs[index:index + 1])))[0]
        return out

    def forward(self, z, full_size: tuple[int, int] | None = None, caption: str = ""):
        image = self.net.to_unit(self.net(z))
        return image.expand(-1, 3, -1, -1) if image.shape[1] == 1 else image


class CppnGenerator(LatentGenerator):
    """A CPPN preset; renders any size, whole or in tiles."""

    def __init__(self, spec: ModelSpec, net, model_hash: str, device) -> None:
        super().__init__(spec, net, model_hash, device)
        self._coords: dict[tuple, object] = {}      # the last few pixel grids, reused while dragging

    def render(self, latents: np.ndarray, size: int | None = None, caption: str = "") -> np.ndarray:
        latents = self._check_latents(latents)
        side = self.native_size if size is None else int(size)
        self._check_size(side, side)
        out = np.empty((len(latents), side, side, 3), np.uint8)
        for index, latent in enumerate(latents):
            out[index] = self._render_rect(latent, (side, side), Rect(0, 0, side, side))
        return out

    def render_tile(self, latent: np.ndarray, full_size: tuple[int, int], rect: Rect) -> np.ndarray:
        latent = self._check_latents(np.asarray(latent).reshape(1, -1))[0]
        width, height = (int(v) for v in full_size)
        self._check_size(width, height)
        rect = Rect(*(int(v) for v in rect))
        if rect.empty or rect.clip(width, height) != rect:
            raise ModelError(f"Tile {tuple(rect)} is empty or outside the {width}x{height} image.")
        return self._render_rect(latent, (width, height), rect)

    def forward(self, z, full_size: tuple[int, int] | None = None, caption: str = ""):
        width, height = full_size or (self.native_size, self.native_size)
        coords = self._grid((width, height), Rect(0, 0, width, height))
        rgb = self.net(coords, z)                                    # (N, H*W, 3)
        return rgb.reshape(len(z), height, width, 3).permute(0, 3, 1, 2)

    def _render_rect(self, latent: np.ndarray, full_size: tuple[int, int], rect: Rect) -> np.ndarray:
        import torch

        coords = self._grid(full_size, rect)
        out = np.empty((rect.height * rect.width, 3), np.uint8)
        with torch.inference_mode():
            z = torch.from_numpy(latent).to(self.device).unsqueeze(0)
            for start in range(0, len(coords), CPPN_CHUNK_PIXELS):
                rgb = self.net(coords[start:start + CPPN_CHUNK_PIXELS], z)[0]
                out[start:start + len(rgb)] = (rgb * 255.0).round_().to(torch.uint8).cpu().numpy()
        return out.reshape(rect.height, rect.width, 3)

    def _grid(self, full_size: tuple[int, int], rect: Rect):
        from .cppn import pixel_coords

        key = (full_size, tuple(rect))
        grid = self._coords.get(key)
        if grid is None:
            grid = pixel_coords(full_size, *rect, scale=self.net.scale).to(self.device)
            # Keep the small grids a drag re-renders every frame; export tiles are used once.
            if rect.width * rect.height <= CPPN_CACHED_GRID_PIXELS:
                if len(self._coords) >= 4:
                    self._coords.pop(next(iter(self._coords)))
                self._coords[key] = grid
        return grid

    def _check_size(self, width: int, height: int) -> None:
        if min(width, height) < CPPN_MIN_SIZE:
            raise ModelError(f"CPPN images must be at least {CPPN_MIN_SIZE} px on each side "
                             f"(asked for {width}x{height}).")


class CaptionGanGenerator(GanGenerator):
    """A caption-conditioned GAN (:mod:`.cgan`) at its native resolution.

    The caption becomes a condition vector once (the GRU in the file, or the
    text extra's sentence model) and is cached, so a slider drag re-renders
    only the convolutions (a fused copy, as for GANs).
    """

    conditioned = True
    CACHED_CAPTIONS = 64

    def __init__(self, spec: ModelSpec, net, model_hash: str, device) -> None:
        from ..core.captions import Vocabulary

        super().__init__(spec, net, model_hash, device)
        self.vocabulary = Vocabulary(list(spec.options.get("vocabulary") or ())) if net.text is not None else None
        self._conditions: dict[str, object] = {}

    @property
    def text_kind(self) -> str:
        """``gru`` (its own trained text encoder) or ``sentence`` (needs the text extra)."""
        return "gru" if self.vocabulary is not None else "sentence"

    def unknown_words(self, caption: str) -> list[str]:
        """Words of ``caption`` this model never saw in training (the GRU reads them as "unknown")."""
        return [] if self.vocabulary is None else self.vocabulary.known(caption)[1]

    def condition(self, caption: str):
        """The ``(1, C)`` condition vector of ``caption`` (no gradient; cached)."""
        import torch

        key = " ".join(str(caption or "").split())
        found = self._conditions.get(key)
        if found is None:
            with torch.no_grad():
                if self.vocabulary is not None:
                    ids, lengths = self.vocabulary.encode([key])
                    found = self.net.text(torch.from_numpy(ids).to(self.device), torch.from_numpy(lengths))
                else:
                    from .sentence import sentence_model

                    found = torch.from_numpy(sentence_model().encode([key])).to(self.device)
            if len(self._conditions) >= self.CACHED_CAPTIONS:
                self._conditions.pop(next(iter(self._conditions)))
            self._conditions[key] = found
        return found

    def _fused_source(self, net):
        return net.generator.body

    def _inputs(self, z, caption: str):
        import torch

        code = self.net.generator.project(self.condition(caption))
        return torch.cat([z, code.expand(len(z), -1)], dim=1)

    def forward(self, z, full_size: tuple[int, int] | None = None, caption: str = ""):
        condition = self.condition(caption).expand(len(z), -1)
        return self.net.to_unit(self.net(z, condition))


def load_generator(spec: ModelSpec, device="auto") -> LatentGenerator:
    """Build the generator for ``spec`` in eval mode on ``device`` (a preference or a torch.device).

    Weights go through the one checksum-first loader (:mod:`.loading`); the
    architecture registry builds the network. Every failure is a
    :class:`ModelError` with a one-line message.
    """
    from .device import as_device
    from .loading import load_encoder, network_and_state

    wrapper = _WRAPPERS.get(spec.kind)
    if wrapper is None:
        raise ModelError(f"Model '{spec.name}' is {spec.what()}, not a generator.")
    target = as_device(device)
    net, state = network_and_state(spec)
    net = net.to(target)
    generator = wrapper(spec, net, spec.sha256 if state is not None else config_hash(spec.config), target)
    if state is not None:
        generator.encoder = load_encoder(spec, state, target)
    return generator


# Which wrapper turns a loaded network of each generator kind into a LatentGenerator.
_WRAPPERS: dict[str, type[LatentGenerator]] = {"gan": GanGenerator, "vae": GanGenerator, "cppn": CppnGenerator,
                                                "cgan": CaptionGanGenerator}


def _to_uint8(image) -> np.ndarray:
    """``(N, C, H, W)`` in [0, 1] -> ``uint8 (N, H, W, 3)``."""
    import torch

    if image.shape[1] == 1:
        image = image.expand(-1, 3, -1, -1)
    pixels = (image * 255.0).round_().clamp_(0, 255).to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).cpu().numpy()
