#!/usr/bin/python3
"""PyTorch peer for VisionBenchmarks: median time of one training step (forward, loss, backward, Adam) and of one forward
pass (no grad) of the same CNN and ViT on 32x32 RGB images, batch 32, one thread:

    /usr/bin/python3 benchmarks/peers/torch_vision_models.py
"""
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Cnn(nn.Module):
    """VisionCnnBench: Conv2d(3, 16, 3, p1), ReLU, MaxPool2d(2), Conv2d(16, 32, 3, p1), ReLU, MaxPool2d(2), Flatten, Linear(2048, 10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.head = nn.Linear(32 * 8 * 8, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        return self.head(h.flatten(1))


class Vit(nn.Module):
    """VisionVitBench: Conv2d(3, 64, 4, stride=4) patches, class token, learned positions, 2 pre-norm layers (4 heads, FFN 128,
    final LayerNorm), the class token to Linear(64, 10)."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(3, 64, 4, stride=4)
        self.cls_token = nn.Parameter(torch.randn(1, 1, 64))
        self.pos_embed = nn.Parameter(torch.randn(1, 65, 64))
        layer = nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(64), enable_nested_tensor=False)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        h = self.proj(x).flatten(2).transpose(1, 2)
        h = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), h], dim=1) + self.pos_embed
        return self.head(self.encoder(h)[:, 0])


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
    images = torch.rand(32, 3, 32, 32)
    labels = torch.arange(32) % 10
    for name, model in [("CNN B32 3x32x32", Cnn()), ("ViT B32 3x32x32 P4 D64 L2", Vit())]:
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)

        def step():
            opt.zero_grad(set_to_none=False)
            F.cross_entropy(model(images), labels).backward()
            opt.step()

        def forward():
            with torch.no_grad():
                F.cross_entropy(model(images), labels)

        step_time, train_forward = median_seconds(step), median_seconds(forward)
        model.eval()
        eval_forward = median_seconds(forward)
        model.train()
        print(f"| {name} | {step_time * 1e3:.2f} ms | {train_forward * 1e3:.2f} ms | {eval_forward * 1e3:.2f} ms |")


if __name__ == "__main__":
    main()
