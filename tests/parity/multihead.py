"""Parity fixtures for several heads and losses per model (issue 19), hooked into generate.py's families.

fixtures/multihead.safetensors, one case per model of ModelDsl.Parity.Tests/MultiHeadParityTests.cs:
- two_heads:  a tanh trunk Linear(6, 12) read by a classifier Linear(12, 3) (cross-entropy, label smoothing 0.1, weight 0.7)
              and by a regressor Linear(12, 2) (MSE, weight 0.3): objective 0.7 CE + 0.3 MSE.
- distilled:  a tanh hidden Linear(4, 8) and one head Linear(8, 3) with two losses:
              0.25 CE(hard labels) + 0.75 F.kl_div(log_softmax(x/T), log_softmax(t/T), "batchmean", log_target=True) T^2, T = 2.
Each case stores the inputs, the parameters under their state_dict names (param.*), the per-loss values (losses), the
weighted total (loss) and d total / d parameter (grad.*).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from generate import Family


def multihead_family():
    fam = Family("multihead")

    def store(name, config, modules, losses, weights, **inputs):
        total = sum(w * l for w, l in zip(weights, losses))
        named = [(prefix + "." + key, p) for prefix, module in modules.items() for key, p in module.named_parameters()]
        grads = torch.autograd.grad(total, [p for _, p in named])
        tensors = {"loss": total.detach().reshape(1), "losses": torch.stack([l.detach() for l in losses])}
        for (key, p), g in zip(named, grads):
            tensors["param__" + key.replace(".", "__")] = p.detach()
            tensors["grad__" + key.replace(".", "__")] = g
        fam.case(name, config, **inputs, **tensors)

    torch.manual_seed(1990)
    rows = 4
    trunk, kind, value = nn.Linear(6, 12), nn.Linear(12, 3), nn.Linear(12, 2)
    x = torch.randn(rows, 6)
    labels = torch.tensor([0, 2, 1, 2])
    targets = torch.randn(rows, 2)
    h = torch.tanh(trunk(x))
    ce = F.cross_entropy(kind(h), labels, label_smoothing=0.1)
    mse = F.mse_loss(value(h), targets)
    store("two_heads", dict(rows=rows), {"trunk": trunk, "kind": kind, "value": value}, [ce, mse], [0.7, 0.3],
          x=x, labels=labels, targets=targets)

    torch.manual_seed(1991)
    rows, t = 5, 2.0
    hidden, out = nn.Linear(4, 8), nn.Linear(8, 3)
    x = torch.randn(rows, 4)
    labels = torch.tensor([1, 0, 2, 2, 1])
    teacher = torch.randn(rows, 3) * 3
    logits = out(torch.tanh(hidden(x)))
    ce = F.cross_entropy(logits, labels)
    kl = F.kl_div(F.log_softmax(logits / t, -1), F.log_softmax(teacher / t, -1), reduction="batchmean", log_target=True) * t * t
    store("distilled", dict(rows=rows, temperature=t), {"hidden": hidden, "out": out}, [ce, kl], [0.25, 0.75],
          x=x, labels=labels, teacher=teacher)
    fam.write()
