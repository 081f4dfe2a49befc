"""Parity fixtures for the losses of issue 19 (fixtures/losses.safetensors), hooked into generate.py's families.

Each case stores the inputs, the loss and d loss / d logits (the loss's upstream gradient is 1):
- l1:           F.l1_loss(pred, target)
- bce:          F.binary_cross_entropy_with_logits(logits, target)  (0/1 targets, soft targets, logits of +-1e4)
- soft_ce:      F.cross_entropy(logits, probabilities)              (probability targets, PyTorch >= 1.10)
- weighted_ce:  F.cross_entropy(logits, labels, weight=w, ignore_index=..., label_smoothing=...)  (PyTorch's weighted mean)
- kl:           F.kl_div(F.log_softmax(logits / T, -1), F.log_softmax(teacher / T, -1), reduction="batchmean",
                         log_target=True) * T * T                   (Hinton et al.'s distillation term)
"""
import torch
import torch.nn.functional as F

from generate import Family, leaf


def losses_family():
    fam = Family("losses")

    def add(name, config, loss, logits, **inputs):
        (grad,) = torch.autograd.grad(loss, logits)
        fam.case(name, config, logits=logits, loss=loss.reshape(1), grad__logits=grad, **inputs)

    for i, (rows, width) in enumerate([(1, 1), (4, 3), (7, 16)]):
        torch.manual_seed(1900 + i)
        logits, target = leaf(rows, width, scale=2.0), torch.randn(rows, width)
        add(f"l1_{i}", dict(op="l1", rows=rows, width=width), F.l1_loss(logits, target), logits, target=target)
    for i, (rows, width, soft) in enumerate([(1, 1, False), (5, 4, False), (6, 9, True)]):
        torch.manual_seed(1910 + i)
        logits = leaf(rows, width, scale=3.0)
        target = torch.rand(rows, width) if soft else (torch.rand(rows, width) > 0.5).float()
        add(f"bce_{i}", dict(op="bce", rows=rows, width=width), F.binary_cross_entropy_with_logits(logits, target), logits, target=target)
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]], requires_grad=True)
    target = torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 0.5]])
    add("bce_extreme", dict(op="bce", rows=2, width=3), F.binary_cross_entropy_with_logits(logits, target), logits, target=target)
    for i, (rows, classes) in enumerate([(1, 2), (4, 5), (8, 12)]):
        torch.manual_seed(1920 + i)
        logits = leaf(rows, classes, scale=3.0)
        target = torch.softmax(torch.randn(rows, classes) * 2, -1)
        add(f"soft_ce_{i}", dict(op="soft_ce", rows=rows, width=classes), F.cross_entropy(logits, target), logits, target=target)
    for i, (rows, classes, temperature) in enumerate([(1, 2, 1.0), (4, 5, 2.0), (8, 10, 4.0), (3, 7, 0.5)]):
        torch.manual_seed(1930 + i)
        logits, teacher = leaf(rows, classes, scale=3.0), torch.randn(rows, classes) * 3
        t = temperature
        loss = F.kl_div(F.log_softmax(logits / t, -1), F.log_softmax(teacher / t, -1), reduction="batchmean", log_target=True) * t * t
        add(f"kl_{i}", dict(op="kl", rows=rows, width=classes, temperature=t), loss, logits, target=teacher)
    for i, (rows, classes, smoothing, ignore) in enumerate([(1, 2, 0.0, -100), (6, 4, 0.0, -100), (9, 5, 0.1, 2), (12, 7, 0.2, -100)]):
        torch.manual_seed(1940 + i)
        logits = leaf(rows, classes, scale=3.0)
        labels = torch.randint(0, classes, (rows,))
        if ignore >= 0:
            labels[::4] = ignore
        weights = torch.rand(classes) * 2
        loss = F.cross_entropy(logits, labels, weight=weights, ignore_index=ignore, label_smoothing=smoothing)
        add(f"weighted_ce_{i}", dict(op="weighted_ce", rows=rows, width=classes, labelSmoothing=smoothing, ignoreIndex=ignore), loss, logits,
            labels=labels, weights=weights)
    fam.write()
