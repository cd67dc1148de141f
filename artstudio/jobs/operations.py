"""The restore operations: one registry that the Restore panel, the CLI and the benchmarks read.

Each :class:`Operation` is one (task, method) pair: what the panel shows,
what ``artstudio restore|denoise|upscale --method`` accepts and prints, which
options it reads, whether it runs a network or Deep Image Prior, and how to
build its job from one :class:`RestoreRequest`. Adding a method is one entry
in :data:`OPERATIONS` plus its job module; adding a task (texture fill,
damage finder, stylize) is entries with a new ``task``.

No torch and no job module is imported here: the factories import their job
when called, so the window can read the registry at start-up, and the job
modules can look up their own labels here.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from functools import partial

import numpy as np

from .base import CancelToken, Event, JobError, readonly_copy


@dataclass(frozen=True)
class RestoreRequest:
    """Everything any restore operation may read; each reads its ``options``.

    Attributes
    ----------
    image : numpy.ndarray
        ``uint8 (H, W, 3|4)`` RGB(A), a read-only copy.
    mask : numpy.ndarray or None
        ``uint8 (H, W)``, 0 = keep, >0 = fill; for operations that need one.
    radius : int
        Neighbourhood radius in pixels (OpenCV fills).
    noise : str
        ``auto``, ``gaussian`` or ``saltpepper`` (denoise).
    scale : int
        2 or 4 (upscale).
    model : str or None
        The network: a shipped name or task, or a checkpoint path; None for
        the shipped one of the operation's ``network`` task.
    iterations : int or None
        The Deep Image Prior limit; None for its default.
    previews : bool
        Yield intermediate images (the CLI and benchmarks turn them off).
    device : str
        ``auto``, ``cuda``, ``mps`` or ``cpu``.
    compare : bool
        Also return the input at the result's size, for a before/after view.
    sample_from, sample_never : numpy.ndarray or None
        ``uint8 (H, W)`` (content-aware fill): where texture may be copied
        from (None: a band around each hole), and where never.
    variations : int
        How many seeded fills the content-aware fill makes (the first is the result).
    seed : int
        The first variation's seed.
    guide : str
        Content-aware fill: what guides its structure, ``auto`` (variations
        alternate between the network's fill and the smooth one), ``network``
        or ``smooth`` (:attr:`artstudio.jobs.texture_fill.TextureRequest.guide`).
    strength : float
        How much of the change a denoise or a stylisation keeps, 0-1.
    style, style_outside : numpy.ndarray or None
        ``uint8 (h, w, 3|4)`` (stylize): the style image, and a second one for
        where the mask is 0 (two styles).
    colour_method : str
        Stylize colours: ``mkl``, ``reinhard`` or ``histogram``.
    preserve_colour : bool
        Stylize paint/texture: transfer on luminance only.
    steps : int or None
        Stylize paint/texture: optimisation steps; None for the default.
    size : int
        Stylize paint/texture: the working long side in px.
    content_weight : float
        Stylize paint/texture: how much of the photo's structure is kept.
    statistic : str
        Stylize paint: ``sliced`` or ``gram``.
    softmax : bool
        Stylize paint: SWAG's softmax on the random features.
    """

    image: np.ndarray
    mask: np.ndarray | None = None
    radius: int = 5
    noise: str = "auto"
    scale: int = 2
    model: str | None = None
    iterations: int | None = None
    previews: bool = True
    device: str = "auto"
    compare: bool = False
    sample_from: np.ndarray | None = None
    sample_never: np.ndarray | None = None
    variations: int = 1
    seed: int = 0
    guide: str = "auto"
    strength: float = 1.0
    style: np.ndarray | None = None
    style_outside: np.ndarray | None = None
    colour_method: str = "mkl"
    preserve_colour: bool = False
    steps: int | None = None
    size: int = 512
    content_weight: float = 1.0
    statistic: str = "sliced"
    softmax: bool = False

    @classmethod
    def snapshot(cls, image: np.ndarray, mask: np.ndarray | None = None, **options) -> "RestoreRequest":
        """A request holding read-only copies of ``image`` and ``mask`` (take it on the GUI thread)."""
        return cls(readonly_copy(image), None if mask is None else readonly_copy(mask), **options)


JobFactory = Callable[[RestoreRequest, CancelToken], Generator[Event, None, object]]


@dataclass(frozen=True)
class Operation:
    """One restore method of one task.

    Attributes
    ----------
    key : str
        The method's name: ``--method KEY``, the panel's item data.
    task : str
        ``fill``, ``denoise``, ``upscale`` or ``stylize`` (the CLI command and panel group).
    label : str
        The panel's menu text.
    description : str
        The CLI's words for it (``Filled ... with DESCRIPTION``) and the jobs' progress text.
    title : str
        The status line and undo-history name; ``{scale}`` is replaced.
    build : callable
        ``(request, cancel) -> generator`` of the job.
    needs_mask : bool
        Only runs with a non-empty mask.
    network : str or None
        The restoration network task it runs (``inpaint``, ``denoise``, ``sr``):
        it offers a Network choice and reads ``model``.
    dip : str or None
        The Deep Image Prior task it optimises: the time estimate comes first.
    options : tuple of str
        The :class:`RestoreRequest` fields it reads beyond image and mask.
    """

    key: str
    task: str
    label: str
    description: str
    title: str
    build: JobFactory
    needs_mask: bool = False
    network: str | None = None
    dip: str | None = None
    options: tuple[str, ...] = ()

    def job(self, request: RestoreRequest, cancel: CancelToken):
        """The job generator for ``request``."""
        return self.build(request, cancel)

    def title_for(self, request: RestoreRequest) -> str:
        """:attr:`title` with the request's options filled in."""
        return self.title.format(scale=request.scale)

    def dip_request(self, request: RestoreRequest):
        """The :class:`~artstudio.jobs.dip.DipRequest` to estimate (and, for a fill, run)."""
        from .dip import DipRequest

        if self.dip is None:
            raise ValueError(f"'{self.key}' is not a Deep Image Prior operation.")
        return DipRequest(request.image, self.dip, mask=request.mask if self.needs_mask else None,
                          scale=request.scale, iterations=request.iterations, previews=request.previews,
                          device=request.device)


# -- job factories: a request for the job module, built from a RestoreRequest --------------------

def _classical_fill(method: str, r: RestoreRequest, cancel: CancelToken):
    from . import restore

    return restore.run_fill(restore.FillRequest(r.image, r.mask, method=method, radius=r.radius,
                                                previews=r.previews), cancel)


def _net_fill(r: RestoreRequest, cancel: CancelToken):
    from . import fill_net

    return fill_net.run_net_fill(fill_net.NetFillRequest(r.image, r.mask, model=r.model or "inpaint",
                                                         previews=r.previews, device=r.device), cancel)


def _texture_request(r: RestoreRequest):
    from .texture_fill import TextureRequest

    return TextureRequest(r.image, r.mask, r.sample_from, r.sample_never, seed=r.seed,
                          variations=r.variations, previews=r.previews, model=r.model or "inpaint",
                          device=r.device, guide=r.guide)


def _texture_fill(r: RestoreRequest, cancel: CancelToken):
    from .texture_fill import run_texture_fill

    return run_texture_fill(_texture_request(r), cancel)


def _auto_fill(r: RestoreRequest, cancel: CancelToken):
    from .texture_fill import run_auto_fill

    return run_auto_fill(_texture_request(r), cancel, model=r.model or "inpaint", device=r.device)


def _dip_fill(r: RestoreRequest, cancel: CancelToken):
    from . import dip
    from .restore import FillResult

    result = yield from dip.run_dip(operation("fill", "dip").dip_request(r), cancel)
    return FillResult(result.image, "dip", 1, result.seconds, result.bounds, result.iterations, result.stop_reason)


def _denoise(method: str, r: RestoreRequest, cancel: CancelToken):
    from . import denoise

    return denoise.run_denoise(denoise.DenoiseRequest(r.image, method, r.noise, model=r.model or "denoise",
                                                      dip_iterations=r.iterations, previews=r.previews,
                                                      device=r.device, strength=r.strength), cancel)


def _upscale(method: str, r: RestoreRequest, cancel: CancelToken):
    from . import upscale

    return upscale.run_upscale(upscale.UpscaleRequest(r.image, r.scale, method, model=r.model or "sr",
                                                      dip_iterations=r.iterations, previews=r.previews,
                                                      device=r.device, compare=r.compare), cancel)


def _stylize(mode: str, r: RestoreRequest, cancel: CancelToken):
    from . import stylize

    return stylize.run_stylize(stylize.StylizeRequest(
        r.image, r.style, mode, mask=r.mask, style_outside=r.style_outside, method=r.colour_method,
        strength=r.strength, preserve_colour=r.preserve_colour, steps=r.steps, size=r.size,
        content_weight=r.content_weight, statistic=r.statistic, softmax=r.softmax, seed=r.seed,
        previews=r.previews, device=r.device), cancel)


# -- the registry, each task in its menu order (the first is the default) -------------------------

_MODEL, _DENOISE, _UPSCALE = ("model",), ("noise", "strength"), ("scale",)
_SAMPLING = ("sample_from", "sample_never")
_STYLE = ("style", "style_outside", "strength")
_OPTIMISED = _STYLE + ("preserve_colour", "steps", "size", "content_weight", "seed")
OPERATIONS: tuple[Operation, ...] = (
    Operation("auto", "fill", "Auto",
              "the automatic fill (network for thin damage, content-aware for the rest)", "Fill (Auto)",
              _auto_fill, needs_mask=True, network="inpaint", options=_MODEL + _SAMPLING + ("seed",)),
    Operation("texture", "fill", "Content-aware", "the content-aware fill",
              "Content-aware fill", _texture_fill, needs_mask=True,   # guided by the shipped network's
              options=_MODEL + _SAMPLING + ("variations", "seed", "guide")),   # fill and/or Telea's
    Operation("net", "fill", "Neural fill", "the neural fill", "Neural fill", _net_fill,
              needs_mask=True, network="inpaint", options=_MODEL),
    Operation("telea", "fill", "OpenCV Telea", "OpenCV Telea", "Fill (Telea)",
              partial(_classical_fill, "telea"), needs_mask=True, options=("radius",)),
    Operation("ns", "fill", "OpenCV Navier-Stokes", "OpenCV Navier-Stokes", "Fill (Navier-Stokes)",
              partial(_classical_fill, "ns"), needs_mask=True, options=("radius",)),
    Operation("biharmonic", "fill", "scikit-image biharmonic", "scikit-image biharmonic", "Fill (biharmonic)",
              partial(_classical_fill, "biharmonic"), needs_mask=True),
    Operation("dip", "fill", "Deep Image Prior", "Deep Image Prior", "Fill (Deep Image Prior)", _dip_fill,
              needs_mask=True, dip="inpaint", options=("iterations",)),
    Operation("net", "denoise", "Neural denoiser", "neural denoiser", "Denoise (neural)",
              partial(_denoise, "net"), network="denoise", options=_DENOISE + _MODEL),
    Operation("nlmeans", "denoise", "Non-local means", "OpenCV non-local means", "Denoise (non-local means)",
              partial(_denoise, "nlmeans"), options=_DENOISE),
    Operation("median", "denoise", "Median 3x3", "3x3 median", "Denoise (median)",
              partial(_denoise, "median"), options=_DENOISE),
    Operation("dip", "denoise", "Deep Image Prior", "Deep Image Prior", "Denoise (DIP)",
              partial(_denoise, "dip"), dip="denoise", options=_DENOISE + ("iterations",)),
    Operation("net", "upscale", "Neural upscaler", "neural upscaler", "Upscale ×{scale} (neural)",
              partial(_upscale, "net"), network="sr", options=_UPSCALE + _MODEL),
    Operation("lanczos", "upscale", "Lanczos", "Lanczos", "Upscale ×{scale} (Lanczos)",
              partial(_upscale, "lanczos"), options=_UPSCALE),
    Operation("dip", "upscale", "Deep Image Prior", "Deep Image Prior", "Upscale ×{scale} (DIP)",
              partial(_upscale, "dip"), dip="sr", options=_UPSCALE + ("iterations",)),
    # Stylize reads the mask when there is one (no mask: the whole photo), so needs_mask is False.
    Operation("colour", "stylize", "Match colours", "colour matching", "Stylize (colours)",
              partial(_stylize, "colour"), options=_STYLE + ("colour_method",)),
    Operation("paint", "stylize", "Paint like this", "painting like the style image", "Stylize (paint)",
              partial(_stylize, "paint"), options=_OPTIMISED + ("statistic", "softmax")),
    Operation("texture", "stylize", "Transfer texture", "texture transfer (patch distributions)",
              "Stylize (texture)", partial(_stylize, "texture"), options=_OPTIMISED),
)


def tasks() -> tuple[str, ...]:
    """The tasks, in registry order (``fill``, ``denoise``, ``upscale``, ``stylize``)."""
    return tuple(dict.fromkeys(op.task for op in OPERATIONS))


def operations(task: str) -> tuple[Operation, ...]:
    """The operations of ``task`` in menu order; JobError (one line) for an unknown task."""
    found = tuple(op for op in OPERATIONS if op.task == task)
    if not found:
        raise JobError(f"Unknown restore task '{task}'. Choose one of: {', '.join(tasks())}.")
    return found


def operation(task: str, key: str) -> Operation:
    """The operation ``key`` of ``task``; JobError (one line, listing the choices) when unknown."""
    choices = operations(task)
    for op in choices:
        if op.key == key:
            return op
    raise JobError(f"Unknown {task} method '{key}'. Choose one of: {', '.join(op.key for op in choices)}.")
