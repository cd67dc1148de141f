"""How good is a generator? The job behind ``artstudio evaluate`` (:mod:`.quality` is its cheap cousin).

``run_evaluate(request, cancel)`` renders ``samples`` images from the model
(seeds ``seed .. seed + samples - 1``, the latents the Generate workspace
shows for those seeds), compares them with as many real images from a
folder (centred squares at the model's resolution) and returns an
:class:`EvaluateResult`; with ``request.report`` it also writes a report
(text + PNG plot, :mod:`artstudio.core.eval_report`).

The figures (names are what the CLI prints; :func:`compare` computes them):

- FD and KID on ArtStudio's features (:mod:`artstudio.models.features`):
  lower is better; KID is unbiased (about 0, maybe negative, for two draws
  of one distribution) and comes with the spread over its subsets;
- SWD per Laplacian level and its mean (ProGAN's, x1e3, with both sets'
  patches normalised by the real set's statistics, see
  :mod:`artstudio.core.swd`; lower is better);
- precision, recall, density, coverage (Naeem et al. 2020, on the same
  features; higher is better);
- diversity: mean pairwise feature distance and mean MS-SSIM among samples,
  each beside the real set's own (a diversity near the real one is good;
  far below it is mode collapse);
- with a verified Inception file (:mod:`artstudio.models.inception`): FID
  and KID as papers report them. Without it nothing here is comparable
  with published FID/KID, and the result's notes say so.

torch is imported only when the job runs.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.metrics import TooFewImages, check_count
from .base import CancelToken, Event, JobError, Progress

FEATURES_LABEL = "ArtStudio features"
FD = f"FD ({FEATURES_LABEL})"
KID = f"KID ({FEATURES_LABEL})"
KID_STD = f"KID std ({FEATURES_LABEL})"
SWD_MEAN = "SWD mean (x1e3)"
PRDC = ("precision", "recall", "density", "coverage")
DIVERSITY, DIVERSITY_REAL = "diversity (samples, feature distance)", "diversity (real, feature distance)"
MS_SSIM, MS_SSIM_REAL = "MS-SSIM among samples", "MS-SSIM among real"
FID, KID_INCEPTION, KID_INCEPTION_STD = ("FID (Inception 2015-12-05)", "KID (Inception 2015-12-05)",
                                         "KID std (Inception 2015-12-05)")
MAX_SAMPLES = 5000
CPPN_SIZE = 64
RENDER_CHUNK = 64
NOT_COMPARABLE = ("FD and KID above use ArtStudio's own features, not Inception's: they rank models and "
                  "checkpoints but are not comparable with FID or KID in papers. For those, pass --inception "
                  "with a local copy of pt_inception-2015-12-05-6726825d.pth.")
COMPARABLE = ("FID and KID (Inception 2015-12-05) use the verified pt_inception-2015-12-05 weights and "
              "pytorch-fid's preprocessing; with as few samples as here they are biased upwards "
              "compared with the 50,000-sample figures papers give.")


def swd_name(side: int) -> str:
    return f"SWD {side}px (x1e3)"


@dataclass(frozen=True)
class EvaluateRequest:
    """What to evaluate. ``model``: a name or a ``.safetensors`` path, as ``resolve`` takes it.

    ``report``: the folder for the report (None: none written). ``features``
    / ``features_sha256``: another feature file (tests; None: the shipped
    one). ``inception``: a local ``pt_inception-2015-12-05-6726825d.pth``
    (None: no FID); ``inception_sha256`` overrides the pinned digest (tests).
    """

    model: str
    data: Path
    samples: int = 1000
    seed: int = 0
    device: str = "auto"
    user_dir: Path | None = None
    cache: Path | None = None
    report: Path | None = None
    inception: Path | None = None
    inception_sha256: str | None = None
    features: Path | None = None
    features_sha256: str | None = None


@dataclass(frozen=True)
class EvaluateResult:
    """The figures (name -> value, in print order), what they were computed on, and the report files."""

    model: str
    figures: dict[str, float]
    samples: int
    real: int
    resolution: int
    seconds: float
    notes: tuple[str, ...] = ()
    report_text: Path | None = None
    report_plot: Path | None = None
    comparable_with_papers: bool = False
    skipped: tuple[str, ...] = field(default_factory=tuple)


def compare(real: np.ndarray, fake: np.ndarray, real_features: np.ndarray, fake_features: np.ndarray,
            seed: int = 0, swd_per_image: int = 128, kid_subsets: int = 100) -> dict[str, float]:
    """Every ArtStudio-feature figure of the module docstring, for ``uint8 (N, S, S, 3)`` image sets."""
    from ..core.metrics import Gaussian, frechet_distance, kid, mean_pairwise_distance, prdc
    from ..core.swd import mean_ms_ssim, swd

    figures = {FD: frechet_distance(Gaussian.of(real_features), Gaussian.of(fake_features))}
    figures[KID], figures[KID_STD] = kid(real_features, fake_features, subsets=kid_subsets, seed=seed)
    levels = swd(real, fake, seed=seed, per_image=swd_per_image)
    figures.update({swd_name(side): value for side, value in levels.items()})
    figures[SWD_MEAN] = float(np.mean(list(levels.values())))
    figures.update(prdc(real_features, fake_features))
    figures[DIVERSITY] = mean_pairwise_distance(fake_features)
    figures[DIVERSITY_REAL] = mean_pairwise_distance(real_features)
    figures[MS_SSIM] = mean_ms_ssim(fake, seed=seed)
    figures[MS_SSIM_REAL] = mean_ms_ssim(real, seed=seed)
    return figures


def run_evaluate(request: EvaluateRequest, cancel: CancelToken) -> Generator[Event, None, EvaluateResult]:
    """Evaluate ``request.model`` against ``request.data``; see the module docstring."""
    began = time.perf_counter()
    _check(request)
    from .train_common import device_for

    device = device_for(request.device)
    inception = _inception(request, device)     # a wrong file is refused before any work is done
    generator, resolution = _generator(request, device)
    yield Progress(0.02, f"Reading real images from {request.data}…")
    real, report, captions = _real_images(request, resolution, cancel, generator.conditioned)
    cancel.check()
    fake = yield from _render(generator, request, resolution, cancel, captions)
    net = _features(request, device)
    real_features = yield from _extract(net.extract, real, 0.45, 0.6, "Measuring real images", cancel)
    fake_features = yield from _extract(net.extract, fake, 0.6, 0.75, "Measuring samples", cancel)
    yield Progress(0.76, "Comparing (FD, KID, SWD, precision/recall, diversity)…")
    figures = compare(real, fake, real_features, fake_features, seed=request.seed)
    notes = [NOT_COMPARABLE]
    if inception is not None:
        figures.update((yield from _inception_figures(inception, request.seed, real, fake, cancel)))
        notes = [COMPARABLE]
    cancel.check()
    result = EvaluateResult(model=generator.spec.name, figures=figures, samples=len(fake), real=len(real),
                            resolution=resolution, seconds=time.perf_counter() - began, notes=tuple(notes),
                            comparable_with_papers=request.inception is not None, skipped=tuple(report.skipped))
    if request.report is not None:
        yield Progress(0.97, "Writing the report…")
        result = _write_report(request, result, real, fake, generator.model_hash)
    yield Progress(1.0, "Evaluated")
    return result


def _check(request: EvaluateRequest) -> None:
    from ..core import metrics

    if request.samples < metrics.MIN_IMAGES:
        raise JobError(f"{request.samples} samples are too few for a stable figure; at least {metrics.MIN_IMAGES} "
                       "are needed (1,000 or more recommended).")
    if request.samples > MAX_SAMPLES:
        raise JobError(f"At most {MAX_SAMPLES} samples per evaluation (asked for {request.samples}).")
    if not Path(request.data).is_dir():
        raise JobError(f"Real image folder '{request.data}' does not exist.")


def _generator(request: EvaluateRequest, device):
    from ..models.loading import get_model
    from ..models.registry import GENERATOR_KINDS, ModelError, resolve

    try:
        spec = resolve(request.model, kind=GENERATOR_KINDS, user_dir=request.user_dir)
        generator = get_model(spec, device)
    except ModelError as error:
        raise JobError(str(error)) from None
    return generator, CPPN_SIZE if spec.kind == "cppn" else spec.resolution


def _real_images(request: EvaluateRequest, resolution: int, cancel: CancelToken, captioned: bool = False):
    """``(tiles, report, captions)``; a caption-conditioned model is judged on captioned images, and
    ``captions`` (their first lines, None otherwise) are what its samples are asked to draw."""
    from ..core.captions import prepare_captioned
    from ..core.dataset import DatasetError, prepare_dataset

    captions = None
    try:
        if captioned:
            data, report = prepare_captioned(request.data, resolution, "center", request.cache,
                                             should_stop=lambda: cancel.cancelled)
            tiles, captions = data.tiles, [lines[0] for lines in data.captions]
        else:
            tiles, report = prepare_dataset(request.data, resolution, "center", request.cache,
                                            should_stop=lambda: cancel.cancelled)
    except DatasetError as error:
        raise JobError(str(error)) from None
    except InterruptedError:
        cancel.check()
        raise
    try:
        check_count(len(tiles), f"Real image folder '{request.data}' (images of at least {resolution} px)")
    except TooFewImages as error:
        raise JobError(str(error)) from None
    if len(tiles) > request.samples:      # as many real images as samples, drawn by the seed
        pick = np.sort(np.random.default_rng(request.seed).choice(len(tiles), request.samples, replace=False))
        tiles = tiles[pick]
        captions = None if captions is None else [captions[i] for i in pick]
    return tiles, report, captions


def _render(generator, request: EvaluateRequest, resolution: int, cancel: CancelToken, captions=None):
    """The samples, in batches through ``generator.forward``: 10x faster than ``render``'s one at a time.

    Batched convolutions may round a pixel one level away from what the
    Generate workspace shows for that seed; no figure here can see that.
    A caption-conditioned model draws sample ``i`` for real caption ``i`` (cycled).
    """
    import torch

    from ..core.latent import sample_latent

    if captions is not None:
        return (yield from _render_captioned(generator, request, resolution, cancel, captions))
    full = None if generator.spec.kind != "cppn" else (resolution, resolution)
    out = np.empty((request.samples, resolution, resolution, 3), np.uint8)
    for start in range(0, request.samples, RENDER_CHUNK):
        cancel.check()
        stop = min(start + RENDER_CHUNK, request.samples)
        latents = np.stack([sample_latent(generator.latent_dim, request.seed + i) for i in range(start, stop)])
        with torch.inference_mode():
            image = generator.forward(torch.from_numpy(latents).to(generator.device), full)
            pixels = (image * 255.0).round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1)
        out[start:stop] = pixels.cpu().numpy()
        yield Progress(0.05 + 0.4 * stop / request.samples, f"Rendering samples {stop}/{request.samples}…")
    return out


def _render_captioned(generator, request: EvaluateRequest, resolution: int, cancel: CancelToken, captions):
    from ..core.latent import sample_latent

    out = np.empty((request.samples, resolution, resolution, 3), np.uint8)
    for index in range(request.samples):
        if index % RENDER_CHUNK == 0:
            cancel.check()
            yield Progress(0.05 + 0.4 * index / request.samples, f"Rendering samples {index}/{request.samples}…")
        latent = sample_latent(generator.latent_dim, request.seed + index)[None]
        out[index] = generator.render(latent, caption=captions[index % len(captions)])[0]
    return out


def _features(request: EvaluateRequest, device):
    from ..models.features import load_features
    from ..models.registry import ModelError

    try:
        return load_features(request.features, request.features_sha256, device)
    except ModelError as error:
        raise JobError(f"{error} (the feature network ArtStudio ships; reinstall ArtStudio)") from None


def _extract(extract, images: np.ndarray, low: float, high: float, what: str, cancel: CancelToken):
    parts, step = [], 256
    for start in range(0, len(images), step):
        cancel.check()
        parts.append(extract(images[start:start + step]))
        done = min(start + step, len(images))
        yield Progress(low + (high - low) * done / len(images), f"{what} {done}/{len(images)}…")
    return np.concatenate(parts)


def _inception(request: EvaluateRequest, device):
    if request.inception is None:
        return None
    from ..models.inception import INCEPTION_SHA256, load_inception
    from ..models.registry import ModelError

    try:
        return load_inception(request.inception, request.inception_sha256 or INCEPTION_SHA256, device)
    except ModelError as error:
        raise JobError(str(error)) from None


def _inception_figures(net, seed: int, real, fake, cancel: CancelToken):
    from ..core.metrics import Gaussian, frechet_distance, kid

    real_f = yield from _extract(net.extract, real, 0.8, 0.88, "Inception: real images", cancel)
    fake_f = yield from _extract(net.extract, fake, 0.88, 0.96, "Inception: samples", cancel)
    mean, std = kid(real_f, fake_f, seed=seed)
    return {FID: frechet_distance(Gaussian.of(real_f), Gaussian.of(fake_f)), KID_INCEPTION: mean,
            KID_INCEPTION_STD: std}


def _write_report(request: EvaluateRequest, result: EvaluateResult, real, fake, model_hash: str) -> EvaluateResult:
    from dataclasses import replace

    from ..core.decode import ImageError
    from ..core.eval_report import report_plot, report_text, write_report

    stamp = time.strftime("%Y%m%d-%H%M%S")
    header = {"model": f"{result.model} (sha256 {str(model_hash)[:16]}…)", "real images": f"{request.data}",
              "counts": f"{result.samples} samples (seeds {request.seed}-{request.seed + result.samples - 1}) vs "
                        f"{result.real} real images at {result.resolution} px",
              "features": "ArtStudio features v1 (resources/models/artstudio-features.safetensors)",
              "date": time.strftime("%Y-%m-%d %H:%M:%S"), "seconds": f"{result.seconds:.1f}"}
    levels = {name: value for name, value in result.figures.items() if name.startswith("SWD ") and "px" in name}
    title = f"{result.model}: {result.samples} samples vs {result.real} real images ({request.data.name})"
    plot = report_plot(title, result.figures, fake, real, levels, PRDC)
    try:
        text_path, plot_path = write_report(Path(request.report), f"{_safe(result.model)}-{stamp}",
                                            report_text(header, result.figures, list(result.notes)), plot)
    except (ImageError, OSError) as error:
        raise JobError(f"Cannot write the report to '{request.report}': {error}") from None
    return replace(result, report_text=text_path, report_plot=plot_path)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80] or "model"


__all__ = ["COMPARABLE", "DIVERSITY", "DIVERSITY_REAL", "EvaluateRequest", "EvaluateResult", "FD", "FID",
           "KID", "KID_INCEPTION", "KID_STD", "MS_SSIM", "MS_SSIM_REAL", "NOT_COMPARABLE", "PRDC",
           "SWD_MEAN", "compare", "run_evaluate", "swd_name"]
