"""The GRU text encoder of caption-conditioned GANs: the seed's recurrent network over words.

Reed et al. (ICML 2016) condition a DCGAN on a char-CNN-RNN sentence
embedding; this is the word-level recurrent version, trained jointly with the
discriminator (see :mod:`artstudio.jobs.cgan_trainer`), so it learns what the
words of the user's captions mean for their pictures. It needs no download.

Tensor contract
---------------
input   ``ids int64 (N, L)`` word ids of :class:`artstudio.core.captions.Vocabulary`
        (0 padding), ``lengths int64 (N,)`` >= 1 (an empty caption is one
        unknown word).
output  ``float32 (N, out)``: the caption's condition vector.
fp16/bf16: not used (a few thousand parameters; fp32 everywhere).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

EMBED = 64
HIDDEN = 128
OUT = 128


class GruTextEncoder(nn.Module):
    """Word embeddings, a bidirectional GRU, its two final states through a linear layer."""

    def __init__(self, vocabulary: int, embed: int = EMBED, hidden: int = HIDDEN, out: int = OUT) -> None:
        super().__init__()
        if vocabulary < 3:
            raise ValueError(f"a vocabulary needs at least one word, not {vocabulary - 2}")
        self.embed = nn.Embedding(vocabulary, embed, padding_idx=0)
        self.gru = nn.GRU(embed, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, out)
        self.out_dim = out

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(self.embed(ids), lengths.clamp(min=1).cpu(), batch_first=True,
                                      enforce_sorted=False)
        _, last = self.gru(packed)                       # (2, N, hidden): forward and backward
        return self.out(torch.cat([last[0], last[1]], dim=1))
