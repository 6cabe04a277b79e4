"""PyTorch as the reference judge of lowrank eval's accuracy figures (run with /usr/bin/python3).

Usage: torch_reference.py train TRAIN_CSV TEST_CSV OUT_DIR
    Trains (seeded, a second or two) an MLP 64-64-10 and a CNN on the digits train split, writes
    each as TorchScript (the MLP scripted, the CNN traced) plus a copy whose linear layers hold their
    rank-4 truncated SVD (W ~ B A, stored dense), and prints, as JSON, each file's top-1 correct
    count on the test split as PyTorch computes it, with the parameter counts.
Usage: torch_reference.py score TEST_CSV MODEL.pt SHAPE [MODEL.pt SHAPE ...]
    Prints {"MODEL.pt": {"correct": N, "samples": M}, ...}: each TorchScript file's top-1 hits on
    the test split, feeding samples of SHAPE (e.g. 64, 1x8x8 or 8x8).

CSV files have a header, 64 pixel columns in [0, 1] and a final 'label' column.
"""
import json
import os
import sys

import numpy as np
import torch


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    return torch.from_numpy(data[:, :-1].copy()), torch.from_numpy(data[:, -1].astype(np.int64))


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(64, 64)
        self.fc2 = torch.nn.Linear(64, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class Cnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.fc1 = torch.nn.Linear(8 * 8 * 8, 32)
        self.fc2 = torch.nn.Linear(32, 10)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return self.fc2(torch.relu(self.fc1(h.flatten(1))))


def train(model, x, y, epochs):
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(epochs):
        for i in range(0, len(x), 128):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[i:i + 128]), y[i:i + 128])
            loss.backward()
            opt.step()
    return model.eval()


def truncate(model, rank):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.Linear) and min(m.weight.shape) > rank:
                u, s, vh = torch.linalg.svd(m.weight, full_matrices=False)
                m.weight.copy_((u[:, :rank] * s[:rank]) @ vh[:rank])
    return model


def correct(model, x, y):
    with torch.no_grad():
        return int((model(x).argmax(1) == y).sum())


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    if sys.argv[1] == "score":
        x, y = load(sys.argv[2])
        result = {}
        for path, shape in zip(sys.argv[3::2], sys.argv[4::2]):
            dims = [int(d) for d in shape.split("x")]
            model = torch.jit.load(path).eval()
            result[path] = {"correct": correct(model, x.reshape([-1] + dims), y), "samples": len(y)}
        print(json.dumps(result))
        return
    _, _, train_csv, test_csv, out = sys.argv
    xtr, ytr = load(train_csv)
    xte, yte = load(test_csv)
    result = {}
    mlp = train(Mlp(), xtr, ytr, 30)
    cnn = train(Cnn(), xtr.reshape(-1, 1, 8, 8), ytr, 15)
    for name, model, shape in (("mlp", mlp, [64]), ("cnn", cnn, [1, 8, 8])):
        xs = xte.reshape([-1] + shape)
        low = type(model)().eval()
        low.load_state_dict(model.state_dict())
        for suffix, m in (("", model), ("-r4", truncate(low, 4))):
            if name == "mlp":
                saved = torch.jit.script(m)
            else:
                saved = torch.jit.trace(m, xs[:2])
            path = os.path.join(out, name + suffix + ".pt")
            saved.save(path)
            result[name + suffix] = {
                "file": path,
                "correct": correct(torch.jit.load(path), xs, yte),
                "samples": len(yte),
                "params": sum(p.numel() for p in m.parameters()),
            }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
