"""One optimisation step of a caption-conditioned GAN (:mod:`artstudio.models.cgan`), for :mod:`.train_gen`.

The recipe is the ``stable`` preset's (spectral norm, hinge loss, a moving
average of the generator) with Reed et al.'s matching-aware discriminator:
each step scores real pictures with their captions (real), generated ones
with theirs (fake) and real pictures with another picture's caption (fake,
the "wrong caption" term, weighted 1/2 with the generated one). DiffAugment
is off: its colour jitter would teach the discriminator to ignore the
colours the captions name.

Conditional GANs tend to ignore their noise: every seed of a caption then
draws the same picture (the first run here did, 0.5 levels of 255 between
seeds), and the explorer's seed and sliders do nothing. The generator's loss
therefore has the mode-seeking term of Mao et al. (CVPR 2019, MSGAN): the
batch's second half repeats the first half's captions with other latents,
and ``1 / (mean |G(z1, c) - G(z2, c)| / mean |z1 - z2|)`` is added, weighted
by :data:`MODE_SEEKING`.

The GRU text encoder (``text="gru"``) is trained by the discriminator's loss
(it must tell matching from mismatched captions) and read, detached, by the
generator, so the generator cannot bend the text space to make its own task
easy. ``text="sentence"`` uses the frozen all-MiniLM-L6-v2 embeddings of the
text extra, computed once per distinct caption.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core.captions import CaptionedData, Vocabulary
from ..models.cgan import CaptionDiscriminator, CaptionGenerator
from ..models.gan import dcgan_init
from .gen_trainers import GAN_BETAS, GenBatches, _adam, _autocast, _ema_avg, to_images

WRONG_WEIGHT = 0.5
MODE_SEEKING = 0.3        # 1.0 made seeds differ twice as much as real scenes of one caption (55 vs 25 levels)


class CaptionBatches(GenBatches):
    """:class:`GenBatches` that also says which images it drew: ``(uint8 (B, 3, S, S), index (B,))``."""

    def __call__(self, step: int, rng: torch.Generator):
        index = self.indices(step)
        return self.take(index, rng), index


class CaptionTable:
    """Every caption of a dataset, which image each belongs to, and their condition inputs on the device."""

    def __init__(self, data: CaptionedData, text: str, device: torch.device,
                 vocabulary: Vocabulary | None = None) -> None:
        self.text, self.device = text, device
        self.captions = data.all_captions()
        counts = np.array([len(lines) for lines in data.captions], np.int64)
        self.first = torch.from_numpy(np.concatenate([[0], np.cumsum(counts)[:-1]]))
        self.count = torch.from_numpy(counts)
        self.vocabulary = vocabulary or (Vocabulary.build(self.captions) if text == "gru" else None)
        self.ids, self.lengths, self.sentences = self.inputs(self.captions)

    def inputs(self, captions: list[str]):
        """``(ids, lengths, None)`` for the GRU or ``(None, None, embeddings)`` for sentences, on the device."""
        if self.text == "gru":
            ids, lengths = self.vocabulary.encode(captions)
            return torch.from_numpy(ids).to(self.device), torch.from_numpy(lengths), None
        from ..models.sentence import sentence_model

        return None, None, torch.from_numpy(sentence_model().encode(captions)).to(self.device)

    def draw(self, images: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
        """One caption index per image of ``images`` (a random line when an image has several)."""
        pick = (torch.rand(len(images), generator=rng) * self.count[images]).long()
        return self.first[images] + pick

    def vectors(self, rows: torch.Tensor, encoder: nn.Module | None,
                inputs: tuple | None = None) -> torch.Tensor:
        """Condition vectors of captions ``rows`` (of ``inputs``, default this table's)."""
        ids, lengths, sentences = inputs or (self.ids, self.lengths, self.sentences)
        if sentences is not None:
            return sentences[rows.to(sentences.device)]
        rows_cpu = rows.cpu()
        chosen = lengths[rows_cpu]
        return encoder(ids[rows.to(ids.device), : int(chosen.max())], chosen)


class CganTrainer:
    """A :class:`~artstudio.models.cgan.CaptionGenerator` and its projection discriminator."""

    loss_names = ("D", "G")

    def __init__(self, size: int, latent: int, width: int, lr: float, device: torch.device, seed: int,
                 table: CaptionTable, wrap=None, compile_: bool = False) -> None:
        self.latent, self.width, self.size, self.device, self.table = latent, width, size, device, table
        torch.manual_seed(seed)
        vocabulary = len(table.vocabulary) if table.vocabulary is not None else 0
        self.net = CaptionGenerator(latent, width, size, table.text, vocabulary)
        cond_dim = self.net.generator.cond_dim
        self.D = CaptionDiscriminator(cond_dim, width, size)
        self.net.generator.apply(dcgan_init)
        self.D.apply(dcgan_init)
        self.net.to(device)
        self.D.to(device, memory_format=torch.channels_last)
        self.G = self.net.generator
        self.ema = torch.optim.swa_utils.AveragedModel(self.G, avg_fn=_ema_avg, use_buffers=True)
        self.ema.eval()
        self.opt_G = _adam(self.G.parameters(), lr, GAN_BETAS, device)
        text_params = list(self.net.text.parameters()) if self.net.text is not None else []
        self.opt_D = _adam(list(self.D.parameters()) + text_params, lr, GAN_BETAS, device)
        wrap = wrap or (lambda module: module)
        self.G_run, self.D_run = wrap(self.G), wrap(self.D)
        if compile_:
            self.G_run, self.D_run = torch.compile(self.G_run), torch.compile(self.D_run)
        step = max(1, len(table.captions) // 36)
        self.grid_rows = torch.arange(0, len(table.captions), step)[:36]

    def step(self, batch, rng: torch.Generator, step: int = 0) -> dict[str, torch.Tensor]:
        real_uint8, images = batch
        real = (real_uint8.float() / 127.5 - 1.0).contiguous(memory_format=torch.channels_last)
        rows = self.table.draw(images, rng)
        half = len(rows) // 2
        fake_rows = torch.cat([rows[:len(rows) - half], rows[:half]])   # pairs: same caption, other z
        z = torch.randn(real.shape[0], self.latent, generator=rng).to(self.device)
        self.D.requires_grad_(True)
        self.opt_D.zero_grad(set_to_none=True)
        condition = self.table.vectors(rows, self.net.text)
        fake_condition = self.table.vectors(fake_rows, self.net.text)
        with _autocast(self.device):
            fake = self.G_run(z, fake_condition.detach())
            real_scores = self.D_run(real, condition).float()
            fake_scores = self.D_run(fake.detach(), fake_condition).float()
            wrong_scores = self.D_run(real, condition.roll(1, dims=0)).float()
        loss_d = F.relu(1.0 - real_scores).mean() + WRONG_WEIGHT * (
            F.relu(1.0 + fake_scores).mean() + F.relu(1.0 + wrong_scores).mean())
        loss_d.backward()
        self.opt_D.step()

        self.D.requires_grad_(False)
        self.opt_G.zero_grad(set_to_none=True)
        with _autocast(self.device):
            loss_g = -self.D(fake, fake_condition.detach()).float().mean()
        if half:      # fake[i] and fake[-half + i] draw the same caption
            spread = (fake[:half] - fake[-half:]).abs().float().mean() / (z[:half] - z[-half:]).abs().mean()
            loss_g = loss_g + MODE_SEEKING / (spread + 1e-5)
        loss_g.backward()
        self.opt_G.step()
        self.ema.update_parameters(self.G)
        return {"D": loss_d.detach(), "G": loss_g.detach()}

    @torch.no_grad()
    def sample(self, z: torch.Tensor) -> np.ndarray:
        """Samples of the moving average for the grid captions (cycled over ``z``)."""
        rows = self.grid_rows[torch.arange(len(z)) % len(self.grid_rows)]
        return self._sample(z, self.table.vectors(rows, self.net.text))

    @torch.no_grad()
    def sample_captions(self, z: torch.Tensor, captions: list[str]) -> np.ndarray:
        """``uint8 (N, S, S, 3)``: one sample per ``(z[i], captions[i])``."""
        inputs = self.table.inputs(captions)
        return self._sample(z, self.table.vectors(torch.arange(len(captions)), self.net.text, inputs))

    def _sample(self, z: torch.Tensor, condition: torch.Tensor) -> np.ndarray:
        net = self.ema.module
        net.eval()
        return to_images(net(z.to(self.device).reshape(len(z), -1), condition), (-1.0, 1.0))

    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.net, "D": self.D, "ema": self.ema}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt_G": self.opt_G, "opt_D": self.opt_D}

    def export_state(self) -> dict[str, torch.Tensor]:
        state = {f"generator.{k}": v for k, v in self.ema.module.state_dict().items()}
        if self.net.text is not None:
            state.update({f"text.{k}": v for k, v in self.net.text.state_dict().items()})
        return {k: v.detach().float().cpu().contiguous() if v.is_floating_point() else v.cpu().contiguous()
                for k, v in state.items()}

    def card_config(self) -> dict:
        config = {"architecture": "cgan-dcgan", "nz": self.latent, "ngf": self.width, "nc": 3,
                  "output": "tanh", "text": self.table.text}
        if self.table.vocabulary is not None:
            config["vocabulary"] = list(self.table.vocabulary.tokens)
        config["examples"] = example_captions(self.table.captions)
        return config


def example_captions(captions: list[str], count: int = 8) -> list[str]:
    """``count`` distinct captions spread over the data: what Generate offers as a start."""
    distinct = list(dict.fromkeys(captions))
    return distinct[::max(1, len(distinct) // count)][:count]
