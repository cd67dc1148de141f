"""Generator quality metrics (issue 14): do they measure what they claim, and how fast?

Steps (run all, in order, with ``all``; each reads what the earlier ones left in ``--work``):

``prepare``    cut real photos into 64 px crops: ``WORK/crops/train`` (4,000, the GAN's
               training folder and the feature calibration corpus), ``heldout_a`` and
               ``heldout_b`` (1,000 each, never trained on). Photos: scikit-image's
               bundled colour photos and the photographic Debian wallpapers
               (``apt-get download plasma-workspace-wallpapers``; ``dpkg -x`` into
               ``--wallpapers``).
``calibrate``  rebuild ``artstudio-features.safetensors`` from the train crops into
               ``WORK/artstudio-features.safetensors`` and print its sha256 (the
               shipped file is this output; the benchmark then checks they match).
``train``      train a small GAN on the train crops with the project's trainer (the
               job, with the Quality probe on, checkpoint every ``--every`` steps),
               recording every quality point to ``WORK/quality.json``; its untrained
               start is saved too. Slow on a CPU: run it under nohup.
``measure``    the figures: real vs itself and vs another real draw; the ranking real <
               trained GAN < untrained GAN; dcgan-faces vs an untrained DCGAN on
               dcgan-faces' own samples; blur / noise / colour shift at 4 levels each;
               the recorded Quality chart; the time to evaluate 1,000 samples; how
               many images a stable figure needs. Prints markdown and MET/NOT MET lines.

    python benchmarks/evaluate_metrics.py all --work /tmp/eval-data --wallpapers /tmp/eval-data/x
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import _common  # noqa: F401  (puts the repository on sys.path)
import numpy as np

from artstudio.core.metrics import MIN_IMAGES

WALLPAPERS = ("BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf", "Grey",
              "Kite", "OneStandsOut", "Path", "summer_1am", "Volna")
SKIMAGE = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field")
SPLITS = {"train": 4000, "heldout_a": 1000, "heldout_b": 1000}
SIDE = 64


# -- prepare ---------------------------------------------------------------------------------------

def _photos(wallpapers: Path) -> list[tuple[str, np.ndarray]]:
    import skimage.data
    from PIL import Image

    photos = [(name, getattr(skimage.data, name)()) for name in SKIMAGE]
    photos.append(("motorcycle_left", skimage.data.stereo_motorcycle()[0]))
    for name in WALLPAPERS:
        folder = wallpapers / "usr/share/wallpapers" / name / "contents/images"
        files = sorted(folder.glob("*"), key=lambda p: p.stat().st_size) if folder.is_dir() else []
        if files:
            photos.append((name, np.asarray(Image.open(files[-1]).convert("RGB"))))
    return photos


def prepare(work: Path, wallpapers: Path, seed: int = 0) -> None:
    import cv2
    from PIL import Image

    photos = _photos(wallpapers)
    total = sum(SPLITS.values())
    rng = np.random.default_rng(seed)
    crops = []
    for index in range(total):
        name, photo = photos[index % len(photos)]
        h, w = photo.shape[:2]
        side = int(np.exp(rng.uniform(np.log(80), np.log(min(h, w, 640)))))
        y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        crop = cv2.resize(np.ascontiguousarray(photo[y:y + side, x:x + side]), (SIDE, SIDE),
                          interpolation=cv2.INTER_AREA)
        crops.append(crop[:, ::-1] if rng.random() < 0.5 else crop)
    order = rng.permutation(total)
    start = 0
    for split, count in SPLITS.items():
        folder = work / "crops" / split
        folder.mkdir(parents=True, exist_ok=True)
        for n, index in enumerate(order[start:start + count]):
            Image.fromarray(crops[index]).save(folder / f"{n:05d}.png")
        start += count
    print(f"prepared {total} crops of {len(photos)} photos ({', '.join(n for n, _ in photos)}) in {work / 'crops'}")


def load_folder(folder: Path) -> np.ndarray:
    from artstudio.core.dataset import prepare_dataset

    tiles, _ = prepare_dataset(folder, SIDE, "center")
    return tiles


# -- calibrate -------------------------------------------------------------------------------------

def calibrate(work: Path) -> str:
    from artstudio.models.features import calibrate as build, save_features

    images = load_folder(work / "crops" / "train")
    digest = save_features(build(images), work / "artstudio-features.safetensors")
    print(f"calibrated ArtStudio features v1 on {len(images)} train crops: sha256 {digest}")
    return digest


# -- train -----------------------------------------------------------------------------------------

GAN = {"preset": "stable", "size": SIDE, "batch": 32, "seed": 0, "width": 64}


def write_generator(folder: Path, name: str, state: dict, latent: int, width: int, description: str) -> None:
    """A generator card + weights the registry lists, for a network that was never trained by the job."""
    from safetensors.torch import save_file

    from artstudio.models.specs import sha256_file

    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(weights))
    card = {"name": name, "kind": "gan", "latent_dim": latent, "resolution": SIDE, "sha256": sha256_file(weights),
            "source": "benchmarks/evaluate_metrics.py", "licence": "MIT (ArtStudio)", "description": description,
            "config": {"architecture": "dcgan", "nz": latent, "ngf": width, "nc": 3, "output": "tanh"}}
    (folder / f"{name}.json").write_text(json.dumps(card, indent=1))


def save_untrained(models: Path) -> None:
    """``photo-gan-init`` (the run's own start: same seed, same recipe) and ``dcgan-init`` (dcgan-faces' layout)."""
    import torch

    from artstudio.jobs.gen_trainers import GanTrainer
    from artstudio.models.gan import dcgan_init
    from artstudio.models.dcgan import DCGANGenerator

    start = GanTrainer(GAN["preset"], SIDE, 100, GAN["width"], 2e-4, torch.device("cpu"), GAN["seed"])
    write_generator(models, "photo-gan-init", start.export_state(), 100, GAN["width"],
                    "The photo GAN's untrained start (step 0 of its run).")
    torch.manual_seed(1)
    net = DCGANGenerator(nz=100, ngf=64, nc=3, resolution=SIDE, output="tanh")
    net.apply(dcgan_init)
    write_generator(models, "dcgan-init", {k: v.detach() for k, v in net.state_dict().items()}, 100, 64,
                    "dcgan-faces' architecture, untrained (DCGAN init, seed 1).")


def train(work: Path, steps: int, every: int) -> None:
    """Train ``photo-gan`` on the train crops with the Quality probe on; record its points."""
    from artstudio.jobs.base import CancelToken
    from artstudio.jobs.quality import QualityPoint
    from artstudio.jobs.train_common import TrainLog
    from artstudio.jobs.train_gen import TrainGenRequest, run_train_gen

    models = work / "models"
    save_untrained(models)
    request = TrainGenRequest(kind="gan", data=work / "crops" / "train", out=models, name="photo-gan",
                              steps=steps, checkpoint_every=every, sample_every=0, device="cpu", quality=256,
                              **{k: v for k, v in GAN.items()})
    points, began = [], time.perf_counter()
    job = run_train_gen(request, CancelToken())
    try:
        while True:
            event = next(job)
            if isinstance(event, QualityPoint):
                points.append({"step": event.step, "seconds": round(event.seconds, 2),
                               "elapsed": round(time.perf_counter() - began, 1), **event.figures})
                (work / "quality.json").write_text(json.dumps(points, indent=1))
            if isinstance(event, (TrainLog, QualityPoint)):
                print(getattr(event, "line", event), flush=True)
    except StopIteration as stop:
        print(f"trained photo-gan: {stop.value.step} steps in {stop.value.seconds:.0f} s", flush=True)


# -- measure ---------------------------------------------------------------------------------------

def blur(images: np.ndarray, sigma: float) -> np.ndarray:
    import cv2

    return np.stack([cv2.GaussianBlur(image, (0, 0), sigma) for image in images])


def noise(images: np.ndarray, sigma: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(images + rng.normal(0, sigma, images.shape), 0, 255).round().astype(np.uint8)


def hue(images: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate the chroma plane of YIQ by ``degrees``: a colour shift that keeps brightness."""
    yiq = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    t = np.deg2rad(degrees)
    turn = np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])
    return np.clip(images.astype(np.float64) @ (np.linalg.inv(yiq) @ turn @ yiq).T, 0, 255).round().astype(np.uint8)


DEGRADATIONS = (("blur sigma px", blur, (0.5, 1.0, 1.5, 2.0)), ("noise sigma /255", noise, (4, 8, 16, 32)),
                ("hue shift deg", hue, (10, 20, 40, 80)))
HIGHER_BETTER = ("precision", "recall", "density", "coverage")


def fmt(value: float) -> str:
    from artstudio.core.eval_report import format_value

    return format_value(value)


def badness(name: str, figures: dict, real: dict) -> float:
    """How far from the data a figure says a set is (larger: worse), so every figure ranks one way."""
    from artstudio.jobs import evaluate as E

    if name in HIGHER_BETTER:
        return -figures[name]
    if name == E.DIVERSITY:
        return abs(figures[name] / figures[E.DIVERSITY_REAL] - 1)
    if name == E.MS_SSIM:
        return abs(figures[name] - figures[E.MS_SSIM_REAL])
    return figures[name]


RANKED_OUT = ("KID std (ArtStudio features)", "diversity (real, feature distance)", "MS-SSIM among real")


class Measure:
    def __init__(self, work: Path) -> None:
        from artstudio.models.features import load_features

        self.work = work
        self.net = load_features()
        self.a = load_folder(work / "crops" / "heldout_a")
        self.b = load_folder(work / "crops" / "heldout_b")
        self.fa = self.net.extract(self.a)
        self.met: list[tuple[str, bool, str]] = []

    def compare(self, fake: np.ndarray, real: np.ndarray | None = None, real_f: np.ndarray | None = None) -> dict:
        from artstudio.jobs.evaluate import compare

        real = self.a if real is None else real
        real_f = self.fa if real_f is None else real_f
        return compare(real, fake, real_f, self.net.extract(fake))

    def evaluate(self, model: str, data: Path, seed: int = 0, user_dir: Path | None = None):
        from artstudio.jobs.base import CancelToken, run_sync
        from artstudio.jobs.evaluate import EvaluateRequest, run_evaluate

        request = EvaluateRequest(model=model, data=data, samples=1000, seed=seed, device="cpu",
                                  user_dir=user_dir or self.work / "models")
        return run_sync(run_evaluate(request, CancelToken()))

    def target(self, name: str, ok: bool, detail: str) -> None:
        self.met.append((name, ok, detail))

    # -- sections ------------------------------------------------------------------------------
    def self_check(self) -> None:
        from artstudio.core.metrics import Gaussian, frechet_distance
        from artstudio.jobs import evaluate as E

        same_fd = frechet_distance(Gaussian.of(self.fa), Gaussian.of(self.fa))
        other = self.compare(self.b)
        print("### Real vs real\n")
        print("Held-out crops A (1,000) against themselves and against held-out crops B (1,000 other crops):\n")
        rows = [["A vs A (the same set)", fmt(same_fd), "(degenerate: the subsets share images)", ""],
                ["A vs B", fmt(other[E.FD]), f"{fmt(other[E.KID])} +- {fmt(other[E.KID_STD])}",
                 f"{fmt(other[E.SWD_MEAN])}"]]
        print(_common.table(["pair", E.FD, "KID (ArtStudio features) +- std", "SWD mean (x1e3)"], rows), "\n")
        self.target("FD of a set with itself ~ 0", same_fd < 1e-6, f"{same_fd:.2e}")
        self.target("KID of two real draws within noise", abs(other[E.KID]) <= 2 * other[E.KID_STD],
                    f"{fmt(other[E.KID])} +- {fmt(other[E.KID_STD])}")
        self.real_other = other
        self.cross_check()

    def cross_check(self) -> None:
        try:
            import torch
            from torchmetrics.image.fid import _compute_fid
            from torchmetrics.image.kid import poly_mmd
        except ImportError:
            print("(torchmetrics not installed: cross-check skipped)\n")
            return
        from artstudio.core.metrics import Gaussian, _cubic_kernel, _mmd2_unbiased, frechet_distance

        fb = self.net.extract(self.b)
        ga, gb = Gaussian.of(self.fa), Gaussian.of(fb)
        ours = frechet_distance(ga, gb)
        theirs = float(_compute_fid(*(torch.from_numpy(v) for v in (ga.mean, ga.cov, gb.mean, gb.cov))))
        x, y = self.fa.astype(np.float64), fb.astype(np.float64)
        mmd = _mmd2_unbiased(_cubic_kernel(x, x), _cubic_kernel(y, y), _cubic_kernel(x, y))
        their_mmd = float(poly_mmd(torch.from_numpy(x), torch.from_numpy(y)))
        print(f"Cross-check with torchmetrics 1.9.0 on the same features (A vs B): FD {ours:.6f} here, "
              f"{theirs:.6f} by `_compute_fid`; whole-set MMD^2 {mmd:.8f} here, {their_mmd:.8f} by `poly_mmd`.\n")
        self.target("FD and MMD agree with torchmetrics", abs(ours - theirs) < 1e-6 * max(1, ours)
                    and abs(mmd - their_mmd) < 1e-9, f"FD diff {abs(ours - theirs):.1e}")

    def ranking(self) -> None:
        trained = self.evaluate("photo-gan", self.work / "crops" / "heldout_a")
        untrained = self.evaluate("photo-gan-init", self.work / "crops" / "heldout_a")
        self.timing = trained.seconds
        columns = [("real (held-out B)", self.real_other), ("photo-gan (trained)", trained.figures),
                   ("photo-gan-init (untrained)", untrained.figures)]
        self.rank_table("Ranking: real < trained GAN < untrained GAN", columns,
                        "1,000 held-out crops A as the reference; 1,000 samples (seeds 0-999) per model; "
                        "real = held-out crops B.", "real < trained < untrained")
        self.progan_swd()
        card = json.loads((self.work / "models" / "photo-gan.json").read_text())
        print(f"photo-gan: `{card['command']}` ({card['step']} steps, {card['seconds']:.0f} s, {card['hardware']}).\n")

    def progan_swd(self) -> None:
        """The same ranking with ProGAN's own normalisation (each set by itself), for the record."""
        from artstudio.core.swd import swd
        from artstudio.jobs.base import CancelToken
        from artstudio.jobs.evaluate import EvaluateRequest, _render
        from artstudio.models.loading import get_model
        from artstudio.models.registry import resolve

        means = {"real (held-out B)": self.b}
        for name in ("photo-gan", "photo-gan-init"):
            generator = get_model(resolve(name, user_dir=self.work / "models"), "cpu")
            means[name] = _run(_render(generator, EvaluateRequest(model=name, data=self.work, samples=1000), SIDE,
                                       CancelToken()))
        cells = []
        for label, images in means.items():
            for mode in ("reference", "each"):
                levels = swd(self.a, images, normalise=mode)
                cells.append(f"{label}, {mode}: {fmt(float(np.mean(list(levels.values()))))}")
        print("SWD mean (x1e3) with both sets normalised by the reference (ArtStudio's, `reference`) and with "
              "each set normalised by itself (ProGAN's, `each`): " + "; ".join(cells) + ".\n")

    def faces(self) -> None:
        """dcgan-faces vs its untrained architecture, with dcgan-faces' own samples as the reference."""
        from PIL import Image

        from artstudio.jobs.evaluate import _render, EvaluateRequest
        from artstudio.jobs.base import CancelToken
        from artstudio.models.loading import get_model
        from artstudio.models.registry import resolve

        folder = self.work / "faces_reference"
        if not folder.is_dir() or len(list(folder.glob("*.png"))) < 1000:
            folder.mkdir(parents=True, exist_ok=True)
            generator = get_model(resolve("dcgan-faces", user_dir=None), "cpu")
            request = EvaluateRequest(model="dcgan-faces", data=folder, samples=1000, seed=0)
            images = _run(_render(generator, request, 64, CancelToken()))
            for index, image in enumerate(images):
                Image.fromarray(image).save(folder / f"{index:04d}.png")
        faces = self.evaluate("dcgan-faces", folder, seed=1000)
        init = self.evaluate("dcgan-init", folder, seed=1000)
        self.rank_table("Sanity: dcgan-faces vs the same architecture untrained", [
            ("dcgan-faces (seeds 1000-1999)", faces.figures), ("dcgan-init (untrained)", init.figures)],
            "Reference: 1,000 dcgan-faces samples (seeds 0-999; the DigiFace-1M faces it was trained on are "
            "not here).", "dcgan-faces < untrained")

    def rank_table(self, title: str, columns, note: str, target: str) -> None:
        names = [n for n in columns[0][1] if n not in RANKED_OUT]
        rows, missed = [], []
        for name in names:
            values = [badness(name, figures, figures) for _, figures in columns]
            ordered = all(a < b for a, b in zip(values, values[1:]))
            tied = not ordered and all(a <= b for a, b in zip(values, values[1:]))
            if not ordered:
                missed.append(name + (" (tied)" if tied else ""))
            rows.append([name] + [fmt(figures[name]) for _, figures in columns]
                        + ["yes" if ordered else "**tied**" if tied else "**no**"])
        print(f"### {title}\n\n{note}\n")
        print(_common.table(["figure"] + [c for c, _ in columns] + ["ranked right"], rows), "\n")
        print("Diversity and MS-SSIM are ranked by their distance from the reference's own value; "
              "precision, recall, density and coverage by their height.\n")
        self.target(f"{title}: every figure ranks {target}", not missed,
                    f"{len(names) - len(missed)}/{len(names)} figures" + (f"; not: {', '.join(missed)}" if missed else ""))

    def degradations(self) -> None:
        from artstudio.jobs import evaluate as E

        print("### Degraded real images (held-out B, degraded) against held-out A\n")
        keys = [E.FD, E.KID, E.SWD_MEAN, E.swd_name(64), E.swd_name(32), E.swd_name(16), *HIGHER_BETTER]
        monotone = []
        for label, degrade, levels in DEGRADATIONS:
            series = [self.real_other] + [self.compare(degrade(self.b, level)) for level in levels]
            rows = []
            for key in keys:
                values = [f[key] for f in series]
                worse = [-v for v in values] if key in HIGHER_BETTER else values
                ok = all(a < b for a, b in zip(worse, worse[1:]))
                if "px" not in key:
                    monotone.append(ok)
                rows.append([key] + [fmt(v) for v in values] + ["yes" if ok else "no"])
            print(_common.table([label, "0"] + [str(v) for v in levels] + ["monotone"], rows), "\n")
        print("SWD per level moves where the damage is: blur and noise most at the finest level, a hue "
              "shift at the coarsest (low-pass) level, where the colours are; the 64 and 32 px band-pass "
              "levels carry little chroma, and a hue rotation only moves them within their noise. The "
              "mean over levels is the SWD figure that is checked.\n")
        self.target("every figure but SWD per level worsens monotonically with blur, noise and hue shift",
                    all(monotone), f"{sum(monotone)}/{len(monotone)} series")

    def stability(self) -> None:
        """How many images a figure needs: real-vs-real against real-vs-slightly-blurred, at several N."""
        from artstudio.core.metrics import Gaussian, frechet_distance, kid

        pool = np.concatenate([self.a, self.b])
        features = self.net.extract(pool)
        blurred = self.net.extract(blur(pool, 1.0))
        rng = np.random.default_rng(0)
        rows = []
        for n in (25, 50, 100, 200, 500):
            fd_ok = kid_ok = 0
            spread = []
            for _ in range(20):
                order = rng.permutation(len(pool))
                ref, same, other = order[:n], order[n:2 * n], order[2 * n:3 * n]
                g = Gaussian.of(features[ref])
                real_fd = frechet_distance(g, Gaussian.of(features[same]))
                blur_fd = frechet_distance(g, Gaussian.of(blurred[other]))
                spread.append(real_fd)
                fd_ok += blur_fd > real_fd
                kid_ok += kid(features[ref], blurred[other], subsets=20)[0] > kid(features[ref], features[same],
                                                                                   subsets=20)[0]
            rows.append([n, f"{np.mean(spread):.2f} +- {np.std(spread):.2f}", f"{fd_ok}/20", f"{kid_ok}/20"])
        print("### How many images a stable figure needs\n")
        print("20 random draws from the 2,000 held-out crops at each size N: a reference set, another real "
              "set, and a third set blurred with sigma 1 px (a visible but mild loss of detail). Counted: "
              "draws where the blurred set scores worse than the real one.\n")
        print(_common.table(["N", "FD real vs real (mean +- std)", "FD ranks blur worse", "KID ranks blur worse"],
                            rows), "\n")
        at_min = rows[[n for n, *_ in rows].index(MIN_IMAGES)]
        self.target(f"at the minimum of {MIN_IMAGES} images, FD and KID rank a sigma-1 blur worse in 20/20 draws",
                    at_min[2] == "20/20" and at_min[3] == "20/20", f"FD {at_min[2]}, KID {at_min[3]}")

    def quality_chart(self) -> None:
        points = json.loads((self.work / "quality.json").read_text())
        print("### The Quality chart of the recorded run\n")
        print("photo-gan's run, measured by the Train workspace's probe (256 samples vs 256 training crops, "
              "ArtStudio features, SWD with 64 patches per image) at the start and every 100 steps:\n")
        rows = [[p["step"], fmt(p["FD"]), fmt(p["KID"]), fmt(p["SWD"]), fmt(p["precision"]), fmt(p["recall"]),
                 f"{p['seconds']:.1f}"] for p in points]
        print(_common.table(["step", "FD", "KID", "SWD", "precision", "recall", "probe s"], rows), "\n")
        from scipy.stats import spearmanr

        trend = {k: spearmanr([p["step"] for p in points], [p[k] for p in points])[0] for k in ("FD", "KID", "SWD")}
        lower = {k: np.mean([p[k] for p in points[-3:]]) < points[0][k] for k in trend}
        print("Rank correlation of each figure with the step (Spearman; -1: falls at every checkpoint): "
              + ", ".join(f"{k} {v:+.2f}" for k, v in trend.items()) + ".\n")
        cost = np.median([p["seconds"] for p in points[1:]])
        self.target("the Quality chart improves (FD, KID, SWD: last 3 points' mean below the start, "
                    "negative rank correlation with the step)", all(lower.values()) and max(trend.values()) < 0,
                    ", ".join(f"{k} {fmt(points[0][k])} -> {fmt(points[-1][k])}" for k in trend))
        self.probe_cost = cost

    def report(self) -> int:
        print("### Cost\n")
        print(f"Evaluating 1,000 samples of a 64 px GAN against 1,000 real crops (render, features, FD, KID, "
              f"SWD, precision/recall, diversity; `run_evaluate`, no report): **{self.timing:.1f} s**. "
              f"Quality probe per checkpoint (256 + 256): median {self.probe_cost:.1f} s.\n")
        self.target("evaluation of 1,000 samples <= 60 s", self.timing <= 60, f"{self.timing:.1f} s")
        print("### Targets\n")
        for name, ok, detail in self.met:
            print(f"{'MET' if ok else 'NOT MET'}: {name} ({detail})")
        return 0 if all(ok for _, ok, _ in self.met) else 1


def _run(job):
    from artstudio.jobs.base import run_sync

    return run_sync(job)


def measure(work: Path) -> int:
    import torch

    _common.print_header("Generator quality metrics (issue 14)")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; load: {_common.load_line()}\n")
    m = Measure(work)
    rebuilt = work / "artstudio-features.safetensors"
    if rebuilt.is_file():
        from artstudio.models.features import SHA256
        from artstudio.models.specs import sha256_file

        m.target("`calibrate` rebuilds the shipped feature file bit for bit", sha256_file(rebuilt) == SHA256,
                 sha256_file(rebuilt)[:16])
    m.self_check()
    m.ranking()
    m.faces()
    m.degradations()
    m.stability()
    m.quality_chart()
    return m.report()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("prepare", "calibrate", "train", "measure", "all"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/eval-data"))
    parser.add_argument("--wallpapers", type=Path, default=Path("/tmp/eval-data/x"))
    parser.add_argument("--steps", type=int, default=1200, help="train: GAN steps (default 1200)")
    parser.add_argument("--every", type=int, default=100, help="train: checkpoint (and quality) interval")
    args = parser.parse_args(argv)
    if args.step in ("prepare", "all"):
        prepare(args.work, args.wallpapers)
    if args.step in ("calibrate", "all"):
        calibrate(args.work)
    if args.step in ("train", "all"):
        train(args.work, args.steps, args.every)
    if args.step in ("measure", "all"):
        return measure(args.work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
