"""Parity fixtures for the pointer-generator head of issue 22 (fixtures/copy.safetensors), hooked into generate.py's families.
(Not named copy.py: the script's folder comes first on sys.path, so that name would shadow the standard library's copy module
that torch imports.)

A reference written directly from See et al. (2017), "Get To The Point", in probability space (ModelDsl computes the
same mixture in log space), on decoder states h [B, T, D], decoder inputs x [B, T, E] and encoder outputs m [B, S, D]:
    logits = h W^T + b                                  (vocabulary distribution, softmax over V)
    alpha  = softmax(((h Wq^T) m^T) / sqrt(D))          (the copy attention, source padding masked)
    p_gen  = sigmoid([alpha m | h | x] gate_w^T + gate_b)
    P      = p_gen * softmax(logits) + (1 - p_gen) * scatter_add(alpha onto the source ids)
    loss   = nll_loss(log P, labels, ignore_index=-100)  (mean over the counted positions)
Each case stores the inputs, log P, the loss and the gradient of the loss with respect to every input and parameter.
"""
import math

import torch
import torch.nn.functional as F

from generate import Family, leaf


def pointer_generator(h, x, m, ids, lengths, weight, bias, query, gate_w, gate_b, vocab):
    batch, steps, width = h.shape
    source = m.shape[1]
    logits = h @ weight.T + bias
    scores = (h @ query.T) @ m.transpose(1, 2) / math.sqrt(width)
    padding = torch.arange(source)[None, :] >= lengths[:, None]
    alpha = torch.softmax(scores.masked_fill(padding[:, None, :], float("-inf")), -1)
    context = alpha @ m
    p_gen = torch.sigmoid(torch.cat([context, h, x], -1) @ gate_w.T + gate_b)
    copy = torch.zeros(batch, steps, vocab).scatter_add(2, ids[:, None, :].expand(batch, steps, source), alpha)
    return torch.log(p_gen * torch.softmax(logits, -1) + (1 - p_gen) * copy)


def copy_family():
    fam = Family("copy")
    # (batch, steps, source, width, input width, vocab): a single position, the DateTranslator's shape in miniature, wider.
    for i, (batch, steps, source, width, inputs, vocab) in enumerate([(1, 1, 3, 4, 4, 5), (3, 4, 6, 8, 8, 11), (2, 5, 9, 16, 12, 23)]):
        torch.manual_seed(2200 + i)
        h, x, m = leaf(batch, steps, width), leaf(batch, steps, inputs), leaf(batch, source, width)
        weight, bias = leaf(vocab, width, scale=0.5), leaf(vocab, scale=0.1)
        query, gate_w, gate_b = leaf(width, width, scale=0.5), leaf(1, 2 * width + inputs, scale=0.3), leaf(1, scale=0.1)
        lengths = torch.tensor([source - (b % source) for b in range(batch)])
        ids = torch.randint(0, vocab, (batch, source))
        ids[:, 1] = ids[:, 0]  # a token at two positions: its copy probability sums both weights
        labels = torch.randint(0, vocab, (batch, steps))
        labels[:, 0] = ids[:, 0]  # the first label is a source token
        if steps > 1:
            labels[0, -1] = -100  # a padding position
        log_p = pointer_generator(h, x, m, ids, lengths, weight, bias, query, gate_w, gate_b, vocab)
        loss = F.nll_loss(log_p.reshape(-1, vocab), labels.reshape(-1), ignore_index=-100)
        leaves = [h, x, m, weight, bias, query, gate_w, gate_b]
        grads = torch.autograd.grad(loss, leaves)
        names = ["h", "x", "memory", "weight", "bias", "copy_query", "gate_weight", "gate_bias"]
        fam.case(f"copy{i}", dict(batch=batch, steps=steps, source=source, width=width, inputWidth=inputs, vocab=vocab),
                 h=h, x=x, memory=m, weight=weight, bias=bias, copy_query=query, gate_weight=gate_w, gate_bias=gate_b,
                 ids=ids, lengths=lengths, labels=labels, log_p=log_p, loss=loss.reshape(1),
                 **{f"grad__{n}": g for n, g in zip(names, grads)})
    fam.write()
