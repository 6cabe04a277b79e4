#!/usr/bin/python3
"""Makes the models lowrank's convolution and attention tests compress, at test time.

Usage: make_conv_models.py OUT_DIR [NAME ...]

Debian's python3-torch and python3-torchvision (PyTorch 1.13); default random initialization,
seeded (no pretrained weights are reachable offline). Writes OUT_DIR/NAME.pt and OUT_DIR/models.json
with the shape of each model's input (a whole batch). Names: resnet18 (torchvision, scripted), convs (2-D convolutions of
every geometry lowrank handles or must leave dense, scripted), convs_traced, encoder (a scripted
nn.TransformerEncoder: 2 layers of width 64, batch first), encoder_norm_first (norm_first, a final
LayerNorm, sequence first), encoder_traced (traced in eval mode without grad: PyTorch bakes its
fused encoder op in), vit (torchvision's VisionTransformer, a slim configuration, scripted) and
vit_b_16 (the full ViT-B/16, only when named).
"""

import json
import os
import sys

import torch
from torch import nn

torch.manual_seed(20240607)
torch.set_num_threads(1)


class Convs(nn.Module):
    """Strides, paddings, dilation, a non-square kernel, no bias, 1x1, and the ones that stay dense:
    grouped, depthwise, reflect padding."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.wide = nn.Conv2d(16, 24, (3, 5), stride=(2, 1), padding=(1, 2), bias=False)
        self.dilated = nn.Conv2d(24, 32, 3, padding=2, dilation=2)
        self.point = nn.Conv2d(32, 32, 1)
        self.grouped = nn.Conv2d(32, 32, 3, padding=1, groups=4)
        self.depthwise = nn.Conv2d(32, 32, 3, padding=1, groups=32)
        self.reflect = nn.Conv2d(32, 32, 3, padding=1, padding_mode="reflect")
        self.strided = nn.Conv2d(32, 48, 5, stride=2, padding=2)
        self.head = nn.Linear(48 * 4 * 8, 10)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = torch.relu(self.wide(x))
        x = torch.relu(self.dilated(x))
        x = torch.relu(self.point(x))
        x = torch.relu(self.grouped(x))
        x = torch.relu(self.depthwise(x))
        x = torch.relu(self.reflect(x))
        x = torch.relu(self.strided(x))
        return self.head(torch.flatten(x, 1))


def encoder(norm_first=False):
    """nn.TransformerEncoder itself: 2 layers of width 64, 4 heads, feed-forward 128; batch first,
    or (norm_first) sequence first with a final LayerNorm."""
    layer = nn.TransformerEncoderLayer(
        d_model=64,
        nhead=4,
        dim_feedforward=128,
        dropout=0.1,
        batch_first=not norm_first,
        norm_first=norm_first,
    )
    norm = nn.LayerNorm(64) if norm_first else None
    return nn.TransformerEncoder(layer, 2, norm=norm, enable_nested_tensor=False)


def vit(full):
    from torchvision.models.vision_transformer import VisionTransformer, vit_b_16

    if full:
        m, shape = vit_b_16(), [1, 3, 224, 224]
    else:
        m = VisionTransformer(
            image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=64, mlp_dim=128,
            num_classes=10,
        )
        shape = [2, 3, 32, 32]
    # torchvision initializes the classifier head to zeros, which would make every logit 0 and
    # the logit comparison vacuous: give it a seeded normal init like the other layers.
    nn.init.normal_(m.heads.head.weight, std=0.02)
    return m, shape


def build(name):
    import torchvision

    if name == "resnet18":
        return torch.jit.script(torchvision.models.resnet18().eval()), [2, 3, 224, 224]
    if name == "convs":
        return torch.jit.script(Convs().eval()), [2, 3, 16, 16]
    if name == "convs_traced":
        m = Convs().eval()
        with torch.no_grad():
            return torch.jit.trace(m, torch.randn(2, 3, 16, 16)), [2, 3, 16, 16]
    if name == "encoder":
        return torch.jit.script(encoder().eval()), [2, 12, 64]
    if name == "encoder_norm_first":
        return torch.jit.script(encoder(norm_first=True).eval()), [12, 2, 64]
    if name == "encoder_traced":
        m = encoder().eval()
        with torch.no_grad():
            return torch.jit.trace(m, torch.randn(2, 12, 64), check_trace=False), [2, 12, 64]
    if name in ("vit", "vit_b_16"):
        m, shape = vit(name == "vit_b_16")
        return torch.jit.script(m.eval()), shape
    raise SystemExit(f"unknown model {name}")


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or [
        "resnet18", "convs", "convs_traced", "encoder", "encoder_norm_first", "encoder_traced",
        "vit",
    ]
    os.makedirs(out, exist_ok=True)
    info = {}
    for name in names:
        module, shape = build(name)
        module.save(os.path.join(out, name + ".pt"))
        info[name] = {"shape": shape, "torch": torch.__version__}
    with open(os.path.join(out, "models.json"), "w") as f:
        json.dump(info, f, indent=1)


if __name__ == "__main__":
    main()
