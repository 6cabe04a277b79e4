#!/usr/bin/python3
"""Writes text_encoder.pt, the text fixture of the fine-tuning tests.

Usage: make_text_encoder.py [OUT]   (default: text_encoder.pt next to this script)

A small TorchScript text encoder with a text model's signature, forward(input_ids, attention_mask),
returning one 16-wide state per token ([batch, tokens, 16]) like a BERT's last hidden state: a token
embedding (vocabulary 40), two linear layers with a GELU, padding zeroed by the mask, a linear
projection and a layer norm. It refuses a mask that holds anything but 0 and 1, so inputs fed in
the wrong order fail instead of training on garbage. Seeded, not trained: distillation needs only a
fixed teacher. Regenerate with /usr/bin/python3 (PyTorch 1.13).
"""

import os
import sys

import torch


class TextEncoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(40, 24)
        self.up = torch.nn.Linear(24, 48)
        self.mix = torch.nn.Linear(48, 48)
        self.out = torch.nn.Linear(48, 16)
        self.norm = torch.nn.LayerNorm(16)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        torch._assert(bool(((attention_mask == 0) | (attention_mask == 1)).all()),
                      "attention_mask must hold 0 and 1")
        h = torch.nn.functional.gelu(self.up(self.embed(input_ids)))
        h = h * attention_mask.unsqueeze(2).to(h.dtype)
        h = h + torch.nn.functional.gelu(self.mix(h))
        return self.norm(self.out(h))


def main():
    torch.manual_seed(11)
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "text_encoder.pt")
    model = torch.jit.script(TextEncoder().eval())
    model.save(out)


if __name__ == "__main__":
    main()
