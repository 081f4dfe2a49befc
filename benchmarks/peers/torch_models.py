#!/usr/bin/python3
"""PyTorch peer for ModelBenchmarks: median time of one training step (forward, loss, backward, Adam)
and of one forward pass (no grad) for the same four models, one thread:

    /usr/bin/python3 benchmarks/peers/torch_models.py
"""
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, vocab, d, heads, length):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d)
        pe = torch.zeros(length, d)
        pos = torch.arange(length).unsqueeze(1)
        div = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
        self.register_buffer("pe", pe)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(d, 2)

    def forward(self, ids, pad):
        x = self.encoder(self.tokens(ids) + self.pe[: ids.shape[1]], src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).float()
        return self.head((x * keep).sum(1) / keep.sum(1))


class Gpt(nn.Module):
    def __init__(self, vocab, d, heads, length, layers):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d)
        self.positions = nn.Parameter(torch.zeros(length, d))
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d), enable_nested_tensor=False)
        self.register_buffer("causal", torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1))

    def forward(self, ids):
        x = self.blocks(self.tokens(ids) + self.positions[: ids.shape[1]], mask=self.causal[: ids.shape[1], : ids.shape[1]])
        return x @ self.tokens.weight.t()


def median_seconds(fn, repeats=10, warmup=3):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, 1 thread")
    print("| model | step median | forward median (train mode, no_grad) | forward median (eval mode, no_grad) |")
    print("| --- | ---: | ---: | ---: |")
    for name, batch, length, d, heads in [("Classifier B16 T32 D64 H4", 16, 32, 64, 4), ("Classifier B16 T64 D128 H4", 16, 64, 128, 4),
                                          ("Classifier B8 T128 D256 H8", 8, 128, 256, 8)]:
        model = Classifier(1000, d, heads, length)
        ids = torch.randint(0, 1000, (batch, length))
        pad = torch.zeros(batch, length, dtype=torch.bool)
        labels = torch.arange(batch) % 2
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)

        def step():
            opt.zero_grad(set_to_none=False)
            F.cross_entropy(model(ids, pad), labels).backward()
            opt.step()

        def forward():
            with torch.no_grad():
                F.cross_entropy(model(ids, pad), labels)

        step_time, train_forward = median_seconds(step), median_seconds(forward)
        model.eval()
        eval_forward = median_seconds(forward)
        model.train()
        print(f"| {name} | {step_time * 1e3:.2f} ms | {train_forward * 1e3:.2f} ms | {eval_forward * 1e3:.2f} ms |")
    model = Gpt(256, 128, 4, 64, 4)
    ids = torch.randint(0, 256, (8, 64))
    targets = torch.randint(0, 256, (8, 64))
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def gpt_step():
        opt.zero_grad(set_to_none=False)
        F.cross_entropy(model(ids).reshape(-1, 256), targets.reshape(-1)).backward()
        opt.step()

    def gpt_forward():
        with torch.no_grad():
            F.cross_entropy(model(ids).reshape(-1, 256), targets.reshape(-1))

    step_time, train_forward = median_seconds(gpt_step), median_seconds(gpt_forward)
    model.eval()
    eval_forward = median_seconds(gpt_forward)
    model.train()
    print(f"| GPT B8 T64 D128 H4 L4 | {step_time * 1e3:.2f} ms | {train_forward * 1e3:.2f} ms | {eval_forward * 1e3:.2f} ms |")


if __name__ == "__main__":
    main()
