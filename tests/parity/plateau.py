#!/usr/bin/python3
"""Rates of PyTorch's ReduceLROnPlateau over fixed metric sequences, printed as C# for
tests/ModelDsl.Runtime.Tests/Training/ReduceLearningRateOnPlateauTests.cs, which quotes this script's output.

    /usr/bin/python3 tests/parity/plateau.py

Each case: the scheduler's settings, the metric given to scheduler.step() after each evaluation, and
optimizer.param_groups[0]["lr"] after that step, printed with repr (round-trip doubles).
"""
import torch

METRICS = [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.89999, 0.5, 0.5, 0.5, 0.5, 0.5, 0.49999, 0.6, 0.7, float("nan"), 0.4, 0.4, 0.4, 0.4,
           0.4, 0.4, 0.4, 0.4, 0.4]
ACCURACY = [0.1, 0.2, 0.2, 0.2005, 0.2, 0.19, 0.5, 0.5, 0.5, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.9]

CASES = [
    ("min_rel", METRICS, dict(mode="min", factor=0.5, patience=1, threshold=1e-4, threshold_mode="rel")),
    ("min_abs_cooldown", METRICS, dict(mode="min", factor=0.1, patience=0, threshold=0.02, threshold_mode="abs", cooldown=2)),
    ("min_floor", METRICS, dict(mode="min", factor=0.3, patience=0, min_lr=0.004)),
    ("max_rel", ACCURACY, dict(mode="max", factor=0.5, patience=2, threshold=0.01, threshold_mode="rel", cooldown=1)),
    ("max_abs_eps", ACCURACY, dict(mode="max", factor=0.9, patience=0, threshold=0.0, threshold_mode="abs", eps=0.0095)),
]


def main():
    print(f"// torch {torch.__version__}")
    for name, metrics, settings in CASES:
        p = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([p], lr=0.1)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **settings)
        rates = []
        for value in metrics:
            scheduler.step(value)
            rates.append(optimizer.param_groups[0]["lr"])
        print(f'["{name}"] = ({settings!r}, [{", ".join(repr(r) for r in rates)}]),')


if __name__ == "__main__":
    main()
