"""The one table of training defaults, read by the CLI, the Train panel and the request dataclasses.

No torch here: the Train panel imports it while the window opens.

Where the three used to disagree, the value chosen and why:

- GAN/VAE batch **32** (the CLI said 64, the panel and the job 32): the
  stable preset is meant for a few hundred images, where 32 gives twice as
  many updates per epoch and half the memory; the recorded 3000-step run in
  docs/TRAINING.md names ``--batch 64`` in its command, so it still re-runs.
- restoration init **shipped** (the job said scratch, the CLI and the panel
  shipped): both user interfaces fine-tune the shipped network, which learns
  in hundreds of steps what scratch needs tens of thousands for.
- device **auto** (the restoration job said cpu, the CLI and the GAN job
  auto): use the GPU when there is one; ``$ARTSTUDIO_DEVICE`` or the
  settings override it.
"""

from __future__ import annotations

GEN_KINDS = ("gan", "vae", "cgan")      # cgan: caption-conditioned GAN (images with .txt captions)
RESTORE_TASKS = ("inpaint", "denoise", "sr")
PRESETS = ("stable", "classic")
GEN_SIZES = (32, 64, 128)
TEXT_ENCODERS = ("gru", "sentence")   # cgan: a GRU trained with it, or the text extra's sentence model
TEXT = "gru"                          # needs no extra, and learns the words of the user's captions
INITS = ("shipped", "scratch")

STEPS = 2000
SEED = 0
DEVICE = "auto"
CHECKPOINT_EVERY = 500
CROP = "center"
PRESET = "stable"
INIT = "shipped"

GEN = {"size": 64, "batch": 32}
RESTORE = {"size": 128, "batch": 8}

# What None means for latent/width/lr in a generator request.
GEN_NETWORK = {"gan": {"latent": 100, "width": 64, "lr": 2e-4},
               "vae": {"latent": 64, "width": 64, "lr": 5e-4},
               "cgan": {"latent": 64, "width": 64, "lr": 2e-4}}

# Per restoration task: its learning rate from scratch and its network config.
RESTORE_NETWORK = {
    "inpaint": (2e-3, {"width": 24, "guess": "biharmonic", "flips": 2}),
    "denoise": (1e-3, {"width": 32}),
    "sr": (2e-3, {"width": 32, "depth": 3}),
}
FINETUNE_LR_FACTOR = 0.25     # fine-tuning the shipped net: a quarter of the scratch rate
SR_SCALES = (2, 4)


def size_for(kind: str) -> int:
    """The default resolution (generators) or crop side (restoration) for ``kind``, in px."""
    return (GEN if kind in GEN_KINDS else RESTORE)["size"]


def batch_for(kind: str) -> int:
    """The default images per step for ``kind``."""
    return (GEN if kind in GEN_KINDS else RESTORE)["batch"]


def restore_lr(task: str, init: str) -> float:
    """The default learning rate of a restoration run (lower when fine-tuning)."""
    lr = RESTORE_NETWORK[task][0]
    return lr * FINETUNE_LR_FACTOR if init == "shipped" else lr
