"""GAN training throughput: ArtStudio's training step against the classic DCGAN loop.

Run from the repository root:

    python benchmarks/train_throughput.py       # 2 CPU cores: ~4 minutes (~5 with --compile)
    python benchmarks/train_throughput.py --data DIR --rounds 7 --json out.json

Data: ``--data DIR``, or 64x64 PNG faces rendered from the shipped
``dcgan-faces`` into a temporary folder (512; 4096 on CUDA). All variants
train on it at 64 px with the same batch, width (ngf = ndf) and latent (100),
in interleaved rounds (order rotated each round) after untimed warm-up steps:

* baseline, end to end: PyTorch's DCGAN example/tutorial, written out below
  (its networks as ``nn.Sequential`` ``main``, Sigmoid ending D,
  ``weights_init``, ``BCELoss``, Adam(2e-4, (0.5, 0.999)), its loop order and
  per-step ``.item()`` reads; fp32, contiguous, no compile), fed as there: a
  ``Dataset`` that opens each file with PIL, resizes the shorter side to 64,
  centre-crops and normalises (torchvision's transforms by hand), in a
  ``DataLoader(shuffle=True, num_workers=2, drop_last=True)``. A round starts
  a new iterator, as an epoch does (a default round is one epoch);
* baseline, step only: the same loop on batches decoded beforehand;
* ArtStudio classic: ``GanTrainer("classic")`` fed as the ``train_gen`` job
  feeds it (``prepare_dataset`` once into a uint8 tensor on the device, then
  the job's ``GenBatches``), losses read every 5 steps as the job does;
* ArtStudio stable: the default preset (spectral norm, hinge, DiffAugment,
  EMA): more work per step, shown for honesty;
* ArtStudio classic + compile: with ``--compile`` (``artstudio train
  --compile``; ~25 s of warm-up on a cold inductor cache; no gain measured
  on 2 cores).

images/s = batch x steps / seconds of a round (CUDA: synchronised). Ratios
are per round, then the median. Before timing, the baseline and
``GanTrainer("classic")`` start from the same weights, batch and latents on
the CPU; their first-step losses must agree to 1e-4 (see ``equivalence``).
Target (issue 5): ArtStudio as the job runs it (classic; + compile with --compile)
at least 1.3x the baseline end to end on the CPU, 2x on a GPU; exit status 0
when met.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, print_header, table  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torch import nn  # noqa: E402

SIZE, NZ, SEED = 64, 100, 0
TOLERANCE = 1e-4
TARGETS = {"cpu": 1.3, "cuda": 2.0}
DEFAULTS = {"cpu": {"steps": 8, "warmup": 2, "images": 512},      # a round = one epoch of the default data
            "cuda": {"steps": 64, "warmup": 5, "images": 4096}}


# -- the baseline: PyTorch's DCGAN example, as written there --------------------------------

class Generator(nn.Module):
    def __init__(self, nz, ngf, nc=3):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self, ndf, nc=3):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, input):
        return self.main(input)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Baseline:
    """The tutorial's networks, loss, optimisers and training-loop body."""

    def __init__(self, width: int, device: torch.device, seed: int) -> None:
        torch.manual_seed(seed)
        self.device = device
        self.netG = Generator(NZ, width).to(device)
        self.netG.apply(weights_init)
        self.netD = Discriminator(width).to(device)
        self.netD.apply(weights_init)
        self.criterion = nn.BCELoss()
        self.optimizerD = torch.optim.Adam(self.netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.optimizerG = torch.optim.Adam(self.netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.G_losses, self.D_losses = [], []

    def step(self, data, noise=None):
        real_cpu = data.to(self.device)
        b_size = real_cpu.size(0)
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        self.netD.zero_grad()
        label = torch.full((b_size,), 1.0, dtype=torch.float, device=self.device)
        output = self.netD(real_cpu).view(-1)
        errD_real = self.criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        if noise is None:
            noise = torch.randn(b_size, NZ, 1, 1, device=self.device)
        fake = self.netG(noise)
        label.fill_(0.0)
        output = self.netD(fake.detach()).view(-1)
        errD_fake = self.criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        self.optimizerD.step()
        # (2) Update G network: maximize log(D(G(z)))
        self.netG.zero_grad()
        label.fill_(1.0)
        output = self.netD(fake).view(-1)
        errG = self.criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        self.optimizerG.step()
        self.G_losses.append(errG.item())
        self.D_losses.append(errD.item())
        self.stats = (D_x, D_G_z1, D_G_z2)       # the tutorial prints these every 50 iterations
        return self.D_losses[-1], self.G_losses[-1]


class FolderDataset(torch.utils.data.Dataset):
    """ImageFolder + Resize(64) + CenterCrop(64) + ToTensor + Normalize(0.5, 0.5), by hand."""

    def __init__(self, root: Path, image_size: int) -> None:
        from artstudio.core.dataset import scan_images

        self.files, self.image_size = scan_images(root), image_size

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index):
        with Image.open(self.files[index], formats=("PNG", "JPEG")) as img:
            img = img.convert("RGB")
        w, h, s = img.width, img.height, self.image_size
        if min(w, h) != s:
            size = (s, int(s * h / w)) if w <= h else (int(s * w / h), s)
            img = img.resize(size, Image.BILINEAR)
        left, top = int(round((img.width - s) / 2.0)), int(round((img.height - s) / 2.0))
        img = img.crop((left, top, left + s, top + s))
        tensor = torch.from_numpy(np.asarray(img, dtype=np.uint8).copy()).permute(2, 0, 1).float().div(255)
        return (tensor - 0.5) / 0.5, 0


# -- the variants: each builder returns run(steps) -> seconds -------------------------------------

def timed(device: torch.device, steps: int, body) -> float:
    begin = time.perf_counter()
    for _ in range(steps):
        body()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - begin


def tutorial_loader(folder: Path, args):
    return torch.utils.data.DataLoader(FolderDataset(folder, SIZE), batch_size=args.batch, shuffle=True,
                                       num_workers=args.workers, drop_last=True)


def baseline_end_to_end(folder: Path, args, device, info: dict):
    model, loader = Baseline(args.width, device, SEED), tutorial_loader(folder, args)

    def run(steps: int) -> float:     # epochs, each a new iterator as in the tutorial; a round starts one
        stream = (data for _ in itertools.count() for data, _ in loader)
        return timed(device, steps, lambda: model.step(next(stream)))
    return run


def baseline_step_only(folder: Path, args, device, info: dict):
    model = Baseline(args.width, device, SEED)
    loaded = itertools.islice(tutorial_loader(folder, args), max(args.steps, args.warmup))
    stream = itertools.cycle([data.to(device) for data, _ in loaded])
    return lambda steps: timed(device, steps, lambda: model.step(next(stream)))


def artstudio(preset: str, compile_: bool):
    def build(folder: Path, args, device, info: dict):
        from artstudio.core.dataset import prepare_dataset
        from artstudio.jobs.gen_trainers import GanTrainer, GenBatches, step_rng
        from artstudio.jobs.train_gen import STATS_EVERY

        trainer = GanTrainer(preset, SIZE, NZ, args.width, 2e-4, device, SEED, None, compile_)
        begin = time.perf_counter()
        tiles, _ = prepare_dataset(folder, SIZE, "center")
        info["decode_once_s"] = time.perf_counter() - begin
        feed = GenBatches(tiles, SIZE, args.batch, SEED, 0, device)     # the job's batch feed
        position = [0]

        def one() -> None:                        # the body of the job's step hook
            step = position[0]
            rng = step_rng(SEED, step, 0)
            with torch.inference_mode(False), torch.enable_grad():
                losses = trainer.step(feed(step, rng), rng, step)
            position[0] = step + 1
            if position[0] % STATS_EVERY == 0:
                _ = {k: float(v) for k, v in losses.items()}   # what _report reads
        return lambda steps: timed(device, steps, one)
    return build


VARIANTS = {   # key -> (label, builder)
    "base": ("baseline (DCGAN tutorial), end to end", baseline_end_to_end),
    "base_step": ("baseline, step only (batches in memory)", baseline_step_only),
    "classic": ("ArtStudio classic", artstudio("classic", False)),
    "stable": ("ArtStudio stable", artstudio("stable", False)),
    "compiled": ("ArtStudio classic + compile", artstudio("classic", True)),
}


# -- equivalence and data -------------------------------------------------------------------------

def equivalence(folder: Path, batch: int, width: int) -> dict:
    """First-step losses of GanTrainer("classic") and the baseline from the same start, on the CPU.

    The G loss follows D's first Adam update, which moves each weight by about +-lr however small its
    gradient, so last-bit differences between NCHW and NHWC kernels flip a few updates and the G loss
    can differ from the plain baseline's by ~1e-4 (batch 64). Gate: both losses against the baseline
    in channels_last, D against the plain one."""
    from artstudio.core.dataset import prepare_dataset
    from artstudio.jobs.gen_trainers import GanTrainer

    cpu = torch.device("cpu")
    tiles, _ = prepare_dataset(folder, SIZE, "center")
    real = torch.from_numpy(tiles[:batch]).permute(0, 3, 1, 2).contiguous()
    rng = torch.Generator().manual_seed(1234)
    state = rng.get_state()
    z = torch.randn(len(real), NZ, 1, 1, generator=rng)      # the draw GanTrainer.step makes first
    rng.set_state(state)
    trainer, start = GanTrainer("classic", SIZE, NZ, width, 2e-4, cpu, SEED + 1), Baseline(width, cpu, SEED)
    trainer.G.load_state_dict(start.netG.state_dict())
    trainer.D.load_state_dict(start.netD.state_dict())
    losses = {"artstudio": {k: float(v) for k, v in trainer.step(real, rng).items()}}
    for fmt in (torch.contiguous_format, torch.channels_last):
        base = Baseline(width, cpu, SEED)
        base.netG.to(memory_format=fmt)
        base.netD.to(memory_format=fmt)
        x = ((real.float() / 255 - 0.5) / 0.5).contiguous(memory_format=fmt)
        losses["baseline" if fmt == torch.contiguous_format else "baseline_nhwc"] = dict(zip("DG", base.step(x, z)))
    ours = losses["artstudio"]
    gaps = {k: abs(ours[k] - losses["baseline_nhwc"][k]) for k in "DG"}
    gaps["D_plain"], gaps["G_plain"] = (abs(ours[k] - losses["baseline"][k]) for k in "DG")
    return {**losses, "abs_diff": gaps,
            "match": max(gaps["D"], gaps["G"], gaps["D_plain"]) <= TOLERANCE}


def synthesise(folder: Path, count: int) -> None:
    """``count`` 64x64 PNG faces rendered from the shipped dcgan-faces generator."""
    from artstudio.models.generators import load_generator
    from artstudio.models.registry import find_model

    latents = np.random.default_rng(SEED).standard_normal((count, NZ)).astype(np.float32)
    for index, image in enumerate(load_generator(find_model("dcgan-faces"), "cpu").render(latents)):
        Image.fromarray(image).save(folder / f"{index:05d}.png")


# -- main -----------------------------------------------------------------------------------------

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="folder of images (default: synthesised 64x64 faces)")
    parser.add_argument("--images", type=int, help="images to synthesise without --data (CPU 512, CUDA 4096)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--width", type=int, default=64, help="ngf = ndf")
    parser.add_argument("--steps", type=int, help="timed steps per variant per round (CPU 8, CUDA 64)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, help="untimed steps of each variant first (CPU 2, CUDA 5)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--workers", type=int, default=2, help="the baseline DataLoader's num_workers")
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                        help="also time ArtStudio classic + torch.compile, and judge the target on it")
    parser.add_argument("--skip-check", action="store_true", help="skip the equivalence check")
    parser.add_argument("--json", type=Path, help="write the results here")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    from artstudio.models.device import choose_device, describe_device

    if args.threads:
        torch.set_num_threads(args.threads)
    device = choose_device(args.device)
    use_compile = bool(args.compile)
    for key, value in DEFAULTS["cuda" if device.type == "cuda" else "cpu"].items():
        setattr(args, key, value if getattr(args, key) is None else getattr(args, key))
    print_header("GAN training throughput: ArtStudio vs the classic DCGAN loop")
    print(f"torch     : {torch.__version__}, {torch.get_num_threads()} threads, device {describe_device(device)}")
    tmp = Path(tempfile.mkdtemp(prefix="artstudio-train-bench-")) if args.data is None else None
    try:
        if tmp is not None:
            synthesise(tmp, args.images)
        folder = args.data or tmp
        count = len(FolderDataset(folder, SIZE))
        print(f"data      : {count} images in {folder}" + (" (synthesised from dcgan-faces)" if tmp else ""))
        print(f"settings  : batch {args.batch}, width {args.width}, {SIZE} px, {args.rounds} rounds x "
              f"{args.steps} steps, warm-up {args.warmup} steps, baseline workers {args.workers}\n")
        if count < args.batch:
            print(f"Need at least one batch ({args.batch}) of images.")
            return 2
        if args.steps < count // args.batch:
            print(f"note: a round ({args.steps} steps) is shorter than an epoch ({count // args.batch} steps), so "
                  "the baseline starts its DataLoader more often than the tutorial would\n")
        return measure(folder, args, device, use_compile)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def measure(folder: Path, args, device: torch.device, use_compile: bool) -> int:
    result = {"device": str(device), "torch": torch.__version__, "threads": torch.get_num_threads(),
              "args": {k: str(v) for k, v in vars(args).items()}}
    if not args.skip_check:
        check = result["check"] = equivalence(folder, args.batch, args.width)
        ours, plain, nhwc, gap = (check[k] for k in ("artstudio", "baseline", "baseline_nhwc", "abs_diff"))
        print("check     : first-step losses, ArtStudio classic / baseline / baseline in channels_last: "
              + ", ".join(f"{k} {ours[k]:.6f} / {plain[k]:.6f} / {nhwc[k]:.6f}" for k in "DG")
              + f" -> {'MATCH' if check['match'] else 'MISMATCH'} (max gap {max(gap['D'], gap['G']):.1e} to "
              f"channels_last, D {gap['D_plain']:.1e} and G {gap['G_plain']:.1e} to the plain baseline)\n")
        if not check["match"]:
            print("The baseline and ArtStudio's classic step disagree; not timing.")
            return 1
    keys = [k for k in VARIANTS if k != "compiled" or use_compile]
    runs, warmups, info = {}, {}, {}
    for key in keys:
        runs[key] = VARIANTS[key][1](folder, args, device, info)
        warmups[key] = runs[key](args.warmup)
    rates = {key: [] for key in keys}
    for r in range(args.rounds):
        order = keys[r % len(keys):] + keys[:r % len(keys)]
        for key in order:
            rates[key].append(args.batch * args.steps / runs[key](args.steps))
        print(f"round {r + 1}/{args.rounds}: " + ", ".join(f"{k} {rates[k][-1]:.1f}" for k in keys), flush=True)
    ratio = {k: [a / b for a, b in zip(rates[k], rates["base"])] for k in keys}
    ratio_step = {k: [a / b for a, b in zip(rates[k], rates["base_step"])] for k in keys}
    rows = [[VARIANTS[k][0], f"{median(rates[k]):.1f}", f"{min(rates[k]):.1f}-{max(rates[k]):.1f}",
             f"{median(ratio[k]):.2f}x", f"{median(ratio_step[k]):.2f}x", f"{warmups[k]:.1f}"] for k in keys]
    print()
    print(table(["variant", "images/s (median)", "range", "vs baseline e2e", "vs baseline step",
                 f"warm-up s ({args.warmup} steps)"], rows))
    if "decode_once_s" in info:
        print(f"\nArtStudio decodes the folder once before training (prepare_dataset, not cached here): "
              f"{info['decode_once_s']:.2f} s; the baseline decodes every image in every epoch.")
    shipped = "compiled" if use_compile else "classic"
    target = TARGETS.get(device.type, TARGETS["cpu"])
    met = median(ratio[shipped]) >= target
    print(f"\n### Target\n\n- {VARIANTS[shipped][0]} vs baseline end to end on {device.type}: "
          f"{median(ratio[shipped]):.2f}x (target >= {target}x) -> {'MET' if met else 'NOT MET'}")
    result.update(info, rates=rates, ratio_vs_baseline=ratio, ratio_vs_step_only=ratio_step, warmup_s=warmups,
                  medians={k: median(v) for k, v in rates.items()}, target_variant=shipped, target=target, met=met)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
