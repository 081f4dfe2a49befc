"""Parity fixtures for parameter groups (issue 19, fixtures/param_groups.safetensors), hooked into generate.py's families.

A two-member model's tensors (encoder.weight [4, 6], encoder.bias [4], head.weight [3, 4], head.bias [3]) in two torch.optim
parameter groups: the encoder with its own rate (base lr times "scale") and weight decay ("groupWeightDecay"), the head with the
optimizer's. Each case stores the start values, the gradient given before each of four steps and the parameters after it:
start.<name>, grad<k>.<name>, after<k>.<name>. The C# side (ParameterGroupParityTests) makes the same groups with
trainer.SetParameterGroup("encoder", scale, groupWeightDecay).
"""
import torch

from generate import Family

SHAPES = {"encoder.weight": (4, 6), "encoder.bias": (4,), "head.weight": (3, 4), "head.bias": (3,)}
STEPS = 4


def param_groups_family():
    fam = Family("param_groups")
    cases = {
        # name: (make optimizer from groups, base lr, weight decay, encoder scale, encoder weight decay)
        "sgd": (lambda g, lr, wd: torch.optim.SGD(g, lr=lr, weight_decay=wd), 0.1, 0.01, 0.1, 0.0),
        "momentum": (lambda g, lr, wd: torch.optim.SGD(g, lr=lr, momentum=0.9, weight_decay=wd), 0.1, 0.01, 0.25, 0.05),
        "adam": (lambda g, lr, wd: torch.optim.Adam(g, lr=lr, weight_decay=wd), 0.01, 0.1, 0.1, 0.0),
        "adamw": (lambda g, lr, wd: torch.optim.AdamW(g, lr=lr, weight_decay=wd), 0.01, 0.01, 0.1, 0.5),
        "adagrad": (lambda g, lr, wd: torch.optim.Adagrad(g, lr=lr, weight_decay=wd), 0.1, 0.01, 0.5, 0.0),
    }
    for i, (name, (make, lr, wd, scale, group_wd)) in enumerate(cases.items()):
        torch.manual_seed(1950 + i)
        params = {n: torch.randn(*s).requires_grad_() for n, s in SHAPES.items()}
        tensors = {f"start__{n.replace('.', '__')}": p.detach().clone() for n, p in params.items()}
        encoder = [p for n, p in params.items() if n.startswith("encoder.")]
        head = [p for n, p in params.items() if n.startswith("head.")]
        optimizer = make([{"params": encoder, "lr": lr * scale, "weight_decay": group_wd}, {"params": head}], lr, wd)
        for step in range(STEPS):
            for n, p in params.items():
                g = torch.randn(*SHAPES[n])
                p.grad = g.clone()
                tensors[f"grad{step}__{n.replace('.', '__')}"] = g
            optimizer.step()
            for n, p in params.items():
                tensors[f"after{step}__{n.replace('.', '__')}"] = p.detach().clone()
        fam.case(name, dict(optimizer=name, lr=lr, weightDecay=wd, scale=scale, groupWeightDecay=group_wd, steps=STEPS), **tensors)
    fam.write()
