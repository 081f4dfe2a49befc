"""Negative-sampling loss fixtures (issue 21), hooked into generate.py as the "embeddings" family.

Case tensors: "input" [B, D] (one h per example), "outputs" [B, K+1, D] (row 0 the positive, rows 1..K the negatives),
"out" [B] the per-example loss -logsigmoid(u0.h) - sum_k logsigmoid(-uk.h), and "grad.input", "grad.outputs": the
gradients of sum(out) (dout = 1, the loss summed over the batch as word2vec sums its steps).
"""
import torch
import torch.nn.functional as F

from generate import Family


def negative_sampling_loss(h, u):
    scores = torch.einsum("bd,bkd->bk", h, u)
    signs = torch.ones_like(scores)
    signs[:, 1:] = -1
    return -F.logsigmoid(signs * scores).sum(dim=1)


def embeddings_family():
    fam = Family("embeddings")
    # (batch, dimension, negatives, scale): word2vec.c's small init, unit scale, and scores near +-30 (saturated sigmoid).
    for i, (batch, dim, negatives, scale) in enumerate([(1, 1, 1, 1.0), (4, 8, 5, 0.5), (16, 100, 5, 0.1), (8, 32, 15, 1.0),
                                                        (6, 16, 3, 2.0)]):
        torch.manual_seed(2100 + i)
        h = (torch.randn(batch, dim) * scale).requires_grad_()
        u = (torch.randn(batch, negatives + 1, dim) * scale).requires_grad_()
        out = negative_sampling_loss(h, u)
        dh, du = torch.autograd.grad(out.sum(), (h, u))
        fam.case(f"negative_sampling{i}", dict(batch=batch, dimension=dim, negatives=negatives, scale=scale),
                 input=h, outputs=u, out=out, grad__input=dh, grad__outputs=du)
    fam.write()
