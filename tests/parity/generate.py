#!/usr/bin/python3
"""Builds the PyTorch parity fixtures that tests/ModelDsl.Parity.Tests compares against.

Run with Debian's PyTorch (not the pyenv python on PATH):

    sudo apt-get install -y python3-torch libopenblas0-openmp
    /usr/bin/python3 tests/parity/generate.py

Each family of cases goes to fixtures/<family>.safetensors. Every case's tensors are named
"<case>/<tensor>"; the file's __metadata__ holds "cases", a JSON list of {name, ...config}.
Convention inside a case: inputs and parameters under their PyTorch names, "out" for outputs,
"dout" for the upstream gradient used for backward (loss = sum(out * dout)), and "grad.<name>"
for the gradient of that loss with respect to <name>. Everything is float32 as PyTorch computes it.
"""
import json
import math
import os
import struct
import sys

# OpenBLAS picks its GEMM kernel by CPU; pin one so fixtures regenerate byte for byte on any x86-64 host.
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
DTYPES = {torch.float32: ("F32", 4), torch.int64: ("I64", 8), torch.bool: ("BOOL", 1)}


def save(path, tensors, cases):
    """Writes a safetensors file: u64 header length, JSON header, raw little-endian data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        dtype, size = DTYPES[t.dtype]
        data = t.numpy().tobytes()
        assert len(data) == t.numel() * size
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"cases": json.dumps(cases, separators=(",", ":")), "torch": torch.__version__}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)
    print(f"{os.path.relpath(path, HERE)}: {len(cases)} cases, {offset} bytes of data")


class Family:
    """Collects the cases of one fixture file."""

    def __init__(self, name):
        self.name, self.tensors, self.cases = name, {}, []

    def case(self, name, config, **tensors):
        assert all("/" not in k for k in tensors)
        self.cases.append(dict(name=name, **config))
        for key, value in tensors.items():
            self.tensors[f"{name}/{key.replace('__', '.')}"] = value

    def write(self):
        save(os.path.join(OUT, f"{self.name}.safetensors"), self.tensors, self.cases)


def backward(out, *leaves, dout=None):
    """Backpropagates sum(out * dout) and returns dout and the leaves' gradients."""
    dout = torch.randn_like(out) if dout is None else dout
    grads = torch.autograd.grad(out, leaves, dout, allow_unused=True)
    return dout, [torch.zeros_like(l) if g is None else g for l, g in zip(leaves, grads)]


def leaf(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).requires_grad_()


# ---------------------------------------------------------------- element-wise and layers
def linear_family():
    fam = Family("linear")
    activations = {"None": lambda x: x, "ReLU": F.relu, "Gelu": F.gelu,
                   "GeluTanh": lambda x: F.gelu(x, approximate="tanh"), "Tanh": torch.tanh,
                   "Sigmoid": torch.sigmoid, "LeakyReLU": lambda x: F.leaky_relu(x, 0.01)}
    for i, (rows, fin, fout) in enumerate([(1, 1, 1), (5, 7, 4), (33, 17, 9), (16, 32, 48)]):
        for act, fn in activations.items():
            torch.manual_seed(100 + i)
            lin = nn.Linear(fin, fout)
            x = leaf(rows, fin)
            out = fn(lin(x))
            dout, (dx, dw, db) = backward(out, x, lin.weight, lin.bias)
            fam.case(f"linear{i}.{act}", dict(rows=rows, inFeatures=fin, outFeatures=fout, activation=act),
                     x=x, weight=lin.weight, bias=lin.bias, out=out, dout=dout,
                     grad__x=dx, grad__weight=dw, grad__bias=db)
    fam.write()


def activation_family():
    fam = Family("activations")
    torch.manual_seed(1)
    x = leaf(257, scale=3.0)
    for name, fn in {"ReLU": F.relu, "LeakyReLU": lambda v: F.leaky_relu(v, 0.01), "Gelu": F.gelu,
                     "GeluTanh": lambda v: F.gelu(v, approximate="tanh"), "Tanh": torch.tanh,
                     "Sigmoid": torch.sigmoid}.items():
        out = fn(x)
        dout, (dx,) = backward(out, x)
        fam.case(name, dict(activation=name, length=257), x=x, out=out, dout=dout, grad__x=dx)
    for rows, width in [(1, 1), (3, 10), (7, 33)]:
        torch.manual_seed(rows * width)
        z = leaf(rows, width, scale=4.0)
        for name, fn in {"softmax": F.softmax, "log_softmax": F.log_softmax}.items():
            out = fn(z, dim=-1)
            dout, (dz,) = backward(out, z)
            fam.case(f"{name}.{rows}x{width}", dict(op=name, rows=rows, width=width), x=z, out=out, dout=dout, grad__x=dz)
    fam.write()


def prelu_family():
    """nn.PReLU, one shared slope (num_parameters=1) or one per channel (num_parameters=C), init 0.25 or random slopes.
    ModelDsl is channels-last: x, out, dout and grad.x are stored [rows, C] (rows = B or B*T). For a [B, T, C] case PyTorch
    runs on the [B, C, T] transpose (its channel dimension is 1); weight and grad.weight need no change."""
    fam = Family("prelu")
    for i, (batch, length, channels, per_channel, random_slopes) in enumerate(
            [(1, 0, 1, False, False), (5, 0, 7, False, True), (6, 0, 9, True, False), (4, 0, 33, True, True),
             (3, 5, 8, False, True), (3, 5, 17, True, True)]):
        torch.manual_seed(600 + i)
        prelu = nn.PReLU(num_parameters=channels if per_channel else 1)
        if random_slopes:
            with torch.no_grad():
                prelu.weight.uniform_(-0.5, 1.0)
        if length == 0:
            x = leaf(batch, channels, scale=2.0)
            out = prelu(x)
            dout, (dx, dw) = backward(out, x, prelu.weight)
            rows = batch
        else:
            x = leaf(batch, channels, length, scale=2.0)  # PyTorch's [B, C, T]
            out = prelu(x)
            dout, (dx, dw) = backward(out, x, prelu.weight)
            x, out, dout, dx = (t.transpose(1, 2).reshape(batch * length, channels) for t in (x, out, dout, dx))
            rows = batch * length
        fam.case(f"prelu{i}", dict(rows=rows, batch=batch, length=length, channels=channels, perChannel=per_channel,
                                   randomSlopes=random_slopes),
                 x=x, weight=prelu.weight, out=out, dout=dout, grad__x=dx, grad__weight=dw)
    fam.write()


def norm_family():
    fam = Family("normalization")
    for i, (rows, width) in enumerate([(1, 1), (4, 7), (9, 64), (3, 100)]):
        torch.manual_seed(200 + i)
        ln = nn.LayerNorm(width)
        with torch.no_grad():
            ln.weight.normal_()
            ln.bias.normal_()
        x = leaf(rows, width, scale=2.0)
        out = ln(x)
        dout, (dx, dw, db) = backward(out, x, ln.weight, ln.bias)
        fam.case(f"layernorm{i}", dict(op="layernorm", rows=rows, width=width, eps=1e-5),
                 x=x, weight=ln.weight, bias=ln.bias, out=out, dout=dout, grad__x=dx, grad__weight=dw, grad__bias=db)
    for i, (rows, channels) in enumerate([(2, 1), (5, 3), (32, 16)]):
        torch.manual_seed(300 + i)
        bn = nn.BatchNorm1d(channels, momentum=0.1, eps=1e-5)
        with torch.no_grad():
            bn.weight.normal_()
            bn.bias.normal_()
            bn.running_mean.normal_()
            bn.running_var.uniform_(0.5, 2.0)
        running_mean0, running_var0 = bn.running_mean.clone(), bn.running_var.clone()
        x = leaf(rows, channels, scale=2.0)
        bn.train()
        out = bn(x)
        dout, (dx, dw, db) = backward(out, x, bn.weight, bn.bias)
        fam.case(f"batchnorm{i}.train", dict(op="batchnorm", training=True, rows=rows, channels=channels, momentum=0.1, eps=1e-5),
                 x=x, weight=bn.weight, bias=bn.bias, running_mean=running_mean0, running_var=running_var0,
                 out=out, dout=dout, grad__x=dx, grad__weight=dw, grad__bias=db,
                 running_mean_after=bn.running_mean.clone(), running_var_after=bn.running_var.clone())
        bn.eval()
        out = bn(x)
        dout, (dx, dw, db) = backward(out, x, bn.weight, bn.bias)
        fam.case(f"batchnorm{i}.eval", dict(op="batchnorm", training=False, rows=rows, channels=channels, momentum=0.1, eps=1e-5),
                 x=x, weight=bn.weight, bias=bn.bias, running_mean=bn.running_mean.clone(), running_var=bn.running_var.clone(),
                 out=out, dout=dout, grad__x=dx, grad__weight=dw, grad__bias=db)
    fam.write()


def embedding_loss_family():
    fam = Family("embedding_losses")
    for i, (n, vocab, dim, pad) in enumerate([(1, 1, 1, -1), (9, 11, 5, -1), (16, 20, 8, 0), (30, 7, 3, 3)]):
        torch.manual_seed(400 + i)
        emb = nn.Embedding(vocab, dim, padding_idx=None if pad < 0 else pad)
        ids = torch.randint(0, vocab, (n,))
        out = emb(ids)
        dout, (dw,) = backward(out, emb.weight)
        fam.case(f"embedding{i}", dict(op="embedding", rows=n, vocab=vocab, width=dim, paddingIndex=pad),
                 ids=ids, weight=emb.weight, out=out, dout=dout, grad__weight=dw)
    for i, (n, classes, smoothing, ignore) in enumerate(
            [(1, 2, 0.0, -100), (6, 5, 0.0, -100), (6, 5, 0.1, -100), (8, 10, 0.0, 3), (8, 10, 0.2, 3), (12, 40, 0.1, 0)]):
        torch.manual_seed(500 + i)
        logits = leaf(n, classes, scale=3.0)
        targets = torch.randint(0, classes, (n,))
        if ignore >= 0:
            targets[::3] = ignore
        loss = F.cross_entropy(logits, targets, label_smoothing=smoothing, ignore_index=ignore)
        (dlogits,) = torch.autograd.grad(loss, logits)
        fam.case(f"cross_entropy{i}", dict(op="cross_entropy", rows=n, classes=classes, labelSmoothing=smoothing, ignoreIndex=ignore),
                 logits=logits, targets=targets, loss=loss.reshape(1), grad__logits=dlogits)
    torch.manual_seed(600)
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], requires_grad=True)
    targets = torch.tensor([1, 0])
    loss = F.cross_entropy(logits, targets, label_smoothing=0.1)
    (dlogits,) = torch.autograd.grad(loss, logits)
    fam.case("cross_entropy_extreme", dict(op="cross_entropy", rows=2, classes=3, labelSmoothing=0.1, ignoreIndex=-100),
             logits=logits, targets=targets, loss=loss.reshape(1), grad__logits=dlogits)
    pred, target = leaf(4, 3), torch.randn(4, 3)
    loss = F.mse_loss(pred, target)
    (dpred,) = torch.autograd.grad(loss, pred)
    fam.case("mse", dict(op="mse", length=12), pred=pred, target=target, loss=loss.reshape(1), grad__pred=dpred)
    fam.write()


# ---------------------------------------------------------------- attention
def attention_family():
    """At least 200 nn.MultiheadAttention configurations over every mask kind, self and cross.

    PyTorch's boolean masks mean "True = NOT allowed"; ModelDsl's mean "true = may attend". The
    fixture stores ModelDsl's polarity in "allowed" [B, Tq, Tk] and the per-config mask parameters
    so the test can build the same mask both ways. Rows with every key masked are NaN in PyTorch;
    the test checks that and expects zeros from ModelDsl there.
    """
    fam = Family("attention")
    masks = ["none", "causal", "key_padding", "window", "window_causal", "graph", "key_padding_causal"]
    shapes = [(1, 1, 1, 1, 1), (2, 1, 4, 4, 4), (2, 2, 5, 5, 4), (1, 8, 7, 7, 16), (3, 2, 13, 13, 8),
              (2, 2, 6, 9, 8), (1, 1, 3, 1, 4), (2, 8, 9, 4, 16), (3, 1, 16, 16, 2), (1, 2, 17, 17, 6),
              (2, 4, 8, 8, 8), (1, 8, 5, 11, 8), (2, 2, 11, 11, 10)]
    index = 0
    for b, h, tq, tk, d in shapes:
        for mask in masks:
            for variant in range(3):
                cross = tq != tk
                if cross and mask in ("causal", "window", "window_causal", "key_padding_causal"):
                    continue
                torch.manual_seed(1000 + index)
                mha = nn.MultiheadAttention(d, h, batch_first=True, bias=True)
                with torch.no_grad():
                    mha.in_proj_bias.normal_(std=0.1)
                    mha.out_proj.bias.normal_(std=0.1)
                query = leaf(b, tq, d)
                key = leaf(b, tk, d) if cross else query
                value = leaf(b, tk, d) if cross else query
                allowed = torch.ones(b, tq, tk, dtype=torch.bool)
                lengths = torch.full((b,), tk, dtype=torch.int64)
                radius = 1 + variant
                i_idx = torch.arange(tq).unsqueeze(1)
                j_idx = torch.arange(tk).unsqueeze(0)
                if mask in ("causal", "window_causal", "key_padding_causal"):
                    allowed &= (j_idx <= i_idx).unsqueeze(0)
                if mask in ("window", "window_causal"):
                    allowed &= ((i_idx - j_idx).abs() <= radius).unsqueeze(0)
                if mask in ("key_padding", "key_padding_causal"):
                    lengths = torch.randint(1, tk + 1, (b,))
                    if variant == 2:
                        lengths[0] = 0  # a fully padded sequence: every row masked
                    allowed &= (j_idx.unsqueeze(0) < lengths.view(b, 1, 1))
                if mask == "graph":
                    allowed = torch.rand(b, tq, tk) < 0.5
                    if variant == 2:
                        allowed[0, 0, :] = False  # one query with no neighbour
                attn_mask = (~allowed).repeat_interleave(h, dim=0)  # [B*H, Tq, Tk], True = blocked
                out, weights = mha(query, key, value, attn_mask=attn_mask, need_weights=True, average_attn_weights=False)
                leaves = [query] + ([key, value] if cross else []) + [mha.in_proj_weight, mha.in_proj_bias,
                                                                     mha.out_proj.weight, mha.out_proj.bias]
                dout = torch.randn_like(out)
                fully_masked = ~allowed.any(dim=-1)  # [B, Tq]
                dout = dout.masked_fill(fully_masked.unsqueeze(-1), 0.0)
                # PyTorch's softmax backward over an all-masked row is NaN even with a zero upstream gradient,
                # so gradients come from a second forward in which those rows attend everywhere: with their
                # dout zero they contribute nothing, which is the true gradient of the unmasked rows' loss.
                safe_mask = attn_mask & ~fully_masked.repeat_interleave(h, dim=0).unsqueeze(-1)
                safe_out, _ = mha(query, key, value, attn_mask=safe_mask, need_weights=False)
                grads = torch.autograd.grad(safe_out, leaves, dout, allow_unused=True)
                grads = [torch.zeros_like(l) if g is None else g for l, g in zip(leaves, grads)]
                names = ["query"] + (["key", "value"] if cross else []) + ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
                tensors = dict(query=query, in_proj_weight=mha.in_proj_weight, in_proj_bias=mha.in_proj_bias,
                               out_proj__weight=mha.out_proj.weight, out_proj__bias=mha.out_proj.bias,
                               allowed=allowed, lengths=lengths, out=out, weights=weights, dout=dout)
                if cross:
                    tensors.update(key=key, value=value)
                for n, g in zip(names, grads):
                    tensors["grad__" + n.replace(".", "__")] = g
                fam.case(f"mha{index}", dict(batch=b, heads=h, queryLength=tq, keyLength=tk, width=d, mask=mask,
                                             radius=radius, cross=cross), **tensors)
                index += 1
    assert index >= 200, index
    fam.write()


# ---------------------------------------------------------------- transformer layers
def transformer_family():
    fam = Family("transformer")
    for norm_first in (False, True):
        for act in ("relu", "gelu"):
            for i, (b, t, s, d, h, ff) in enumerate([(1, 1, 1, 4, 1, 8), (2, 5, 7, 8, 2, 16), (3, 6, 4, 16, 4, 32)]):
                torch.manual_seed(2000 + i)
                enc = nn.TransformerEncoderLayer(d, h, ff, dropout=0.0, activation=act, batch_first=True, norm_first=norm_first)
                x = leaf(b, t, d)
                lengths = torch.randint(1, t + 1, (b,))
                pad = torch.arange(t).unsqueeze(0) >= lengths.unsqueeze(1)
                out = enc(x, src_key_padding_mask=pad)
                params = dict(enc.named_parameters())
                dout, grads = backward(out, x, *params.values())
                tensors = dict(x=x, lengths=lengths, out=out, dout=dout, grad__x=grads[0])
                for (n, p), g in zip(params.items(), grads[1:]):
                    tensors[n.replace(".", "__")] = p
                    tensors["grad__" + n.replace(".", "__")] = g
                fam.case(f"encoder.{'pre' if norm_first else 'post'}.{act}.{i}",
                         dict(layer="encoder", normFirst=norm_first, activation=act, batch=b, length=t, width=d, heads=h, feedForward=ff),
                         **tensors)

                torch.manual_seed(3000 + i)
                dec = nn.TransformerDecoderLayer(d, h, ff, dropout=0.0, activation=act, batch_first=True, norm_first=norm_first)
                y = leaf(b, t, d)
                memory = leaf(b, s, d)
                causal = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
                memory_lengths = torch.randint(1, s + 1, (b,))
                memory_pad = torch.arange(s).unsqueeze(0) >= memory_lengths.unsqueeze(1)
                out = dec(y, memory, tgt_mask=causal, memory_key_padding_mask=memory_pad)
                params = dict(dec.named_parameters())
                dout, grads = backward(out, y, memory, *params.values())
                tensors = dict(x=y, memory=memory, memory_lengths=memory_lengths, out=out, dout=dout,
                               grad__x=grads[0], grad__memory=grads[1])
                for (n, p), g in zip(params.items(), grads[2:]):
                    tensors[n.replace(".", "__")] = p
                    tensors["grad__" + n.replace(".", "__")] = g
                fam.case(f"decoder.{'pre' if norm_first else 'post'}.{act}.{i}",
                         dict(layer="decoder", normFirst=norm_first, activation=act, batch=b, length=t, memoryLength=s,
                              width=d, heads=h, feedForward=ff), **tensors)
    # A 2-layer encoder stack, as nn.TransformerEncoder names it ("layers.0....").
    torch.manual_seed(4000)
    stack = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True), num_layers=2,
                                  enable_nested_tensor=False)
    x = leaf(2, 5, 8)
    out = stack(x)
    params = dict(stack.named_parameters())
    dout, grads = backward(out, x, *params.values())
    tensors = dict(x=x, out=out, dout=dout, grad__x=grads[0])
    for (n, p), g in zip(params.items(), grads[1:]):
        tensors[n.replace(".", "__")] = p
        tensors["grad__" + n.replace(".", "__")] = g
    fam.case("encoder_stack", dict(layer="encoder_stack", layers=2, normFirst=False, activation="relu", batch=2, length=5,
                                   width=8, heads=2, feedForward=16), **tensors)
    fam.write()


# ---------------------------------------------------------------- recurrent
def recurrent_family():
    fam = Family("recurrent")
    configs = [("GRU", 1, False), ("GRU", 2, True), ("LSTM", 1, False), ("LSTM", 2, True), ("RNN", 1, True), ("GRU", 1, True), ("LSTM", 1, True)]
    for i, (cell, layers, bidirectional) in enumerate(configs):
        for j, (b, t, inp, hid) in enumerate([(1, 1, 1, 1), (3, 5, 4, 6)]):
            torch.manual_seed(5000 + 10 * i + j)
            module = getattr(nn, cell)(inp, hid, num_layers=layers, bidirectional=bidirectional, batch_first=True)
            x = leaf(b, t, inp)
            lengths = torch.tensor(sorted([t] + [max(1, t - k - 1) for k in range(b - 1)], reverse=True), dtype=torch.int64)
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=True)
            dirs = 2 if bidirectional else 1
            h0 = leaf(layers * dirs, b, hid, scale=0.5)
            if cell == "LSTM":
                c0 = leaf(layers * dirs, b, hid, scale=0.5)
                y, (hn, cn) = module(packed, (h0, c0))
            else:
                y, hn = module(packed, h0)
            y, _ = nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=t)
            params = dict(module.named_parameters())
            outs = [y, hn] + ([cn] if cell == "LSTM" else [])
            douts = [torch.randn_like(o) for o in outs]
            leaves = [x, h0] + ([c0] if cell == "LSTM" else []) + list(params.values())
            grads = torch.autograd.grad(outs, leaves, douts)
            tensors = dict(x=x, lengths=lengths, h0=h0, out=y, h_n=hn, dout=douts[0], dh_n=douts[1],
                           grad__x=grads[0], grad__h0=grads[1])
            offset = 2
            if cell == "LSTM":
                tensors.update(c0=c0, c_n=cn, dc_n=douts[2], grad__c0=grads[2])
                offset = 3
            for (n, p), g in zip(params.items(), grads[offset:]):
                tensors[n] = p
                tensors["grad__" + n] = g
            fam.case(f"{cell.lower()}{i}.{j}", dict(cell=cell, layers=layers, bidirectional=bidirectional, batch=b,
                                                   length=t, inputSize=inp, hiddenSize=hid), **tensors)
    fam.write()


def final_state_family():
    """[FinalStatePool]: nn.GRU/nn.LSTM over pack_padded_sequence(enforce_sorted=False); `out` is the last layer's final state
    in h_n's layout, torch.cat([h_n[-2], h_n[-1]], -1) (bidirectional) or h_n[-1], and `y` the padded encoder output the
    pool reads. `grad.y` is the gradient of sum(out * dout) w.r.t. y through the same selection written in PyTorch
    (forward half at length-1, reverse half at 0), which is asserted equal to h_n's cat first."""
    fam = Family("final_state")
    configs = [("GRU", 1, True, (4, 6, 3, 5)), ("GRU", 2, True, (3, 5, 4, 6)), ("LSTM", 1, True, (4, 6, 3, 5)),
               ("LSTM", 2, True, (3, 5, 4, 6)), ("GRU", 1, False, (3, 5, 4, 6)), ("LSTM", 2, False, (4, 6, 3, 5))]
    for i, (cell, layers, bidirectional, (b, t, inp, hid)) in enumerate(configs):
        torch.manual_seed(7000 + i)
        module = getattr(nn, cell)(inp, hid, num_layers=layers, bidirectional=bidirectional, batch_first=True)
        x = torch.randn(b, t, inp)
        lengths = torch.tensor([max(1, t - (2 * k) % t) if k else t for k in range(b)], dtype=torch.int64)
        lengths[-1] = 1
        lengths = torch.roll(lengths, 1)  # unsorted: the shortest row first
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        with torch.no_grad():
            y, state = module(packed)
            y, _ = nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=t)
        hn = state[0] if cell == "LSTM" else state  # h_n, not the cell
        final = torch.cat([hn[-2], hn[-1]], -1) if bidirectional else hn[-1]
        y = y.clone().requires_grad_()
        rows = torch.arange(b)
        forward_half = y[rows, lengths - 1, :hid]
        out = torch.cat([forward_half, y[:, 0, hid:]], -1) if bidirectional else forward_half
        assert torch.allclose(out, final, rtol=0, atol=1e-6), (cell, layers, bidirectional)
        dout, (dy,) = backward(out, y)
        fam.case(f"{cell.lower()}{i}", dict(cell=cell, layers=layers, bidirectional=bidirectional, batch=b, length=t,
                                         inputSize=inp, hiddenSize=hid),
                 y=y, lengths=lengths, h_n=hn, out=final, dout=dout, grad__y=dy)
    fam.write()


def bahdanau_family():
    """Additive attention written out in PyTorch: e[b,j] = v . tanh(W s[b] + U h[b,j])."""
    fam = Family("bahdanau")
    for i, (b, tk, ds, dh, a) in enumerate([(1, 1, 1, 1, 1), (3, 7, 5, 6, 4), (2, 12, 16, 8, 10)]):
        torch.manual_seed(6000 + i)
        s, h = leaf(b, ds), leaf(b, tk, dh)
        w, u, v = leaf(a, ds, scale=0.5), leaf(a, dh, scale=0.5), leaf(a, scale=0.5)
        lengths = torch.randint(1, tk + 1, (b,))
        scores = torch.tanh((s @ w.T).unsqueeze(1) + h @ u.T) @ v  # [B, Tk]
        scores = scores.masked_fill(torch.arange(tk).unsqueeze(0) >= lengths.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = (weights.unsqueeze(-1) * h).sum(dim=1)
        dout, (ds_, dh_, dw, du, dv) = backward(context, s, h, w, u, v)
        fam.case(f"bahdanau{i}", dict(batch=b, keyLength=tk, stateWidth=ds, valueWidth=dh, attentionWidth=a),
                 s=s, h=h, W=w, U=u, v=v, lengths=lengths, weights=weights, out=context, dout=dout,
                 grad__s=ds_, grad__h=dh_, grad__W=dw, grad__U=du, grad__v=dv)
    fam.write()


# ---------------------------------------------------------------- optimizers
def optimizer_family():
    fam = Family("optimizers")
    configs = {
        "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
        "sgd_wd": lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.01),
        "momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        "nesterov": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
        "adagrad": lambda p: torch.optim.Adagrad(p, lr=0.1),
        "adam": lambda p: torch.optim.Adam(p, lr=0.01),
        "adam_wd": lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1),
        "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01),
    }
    for name, make in configs.items():
        torch.manual_seed(7000)
        p = torch.randn(37, requires_grad=True)
        start = p.detach().clone()
        opt = make([p])
        grads, after = [], []
        for step in range(3):
            g = torch.randn(37)
            grads.append(g)
            p.grad = g.clone()
            opt.step()
            after.append(p.detach().clone())
        fam.case(name, dict(optimizer=name, steps=3, length=37, **{k: v for k, v in opt.defaults.items()
                                                                   if isinstance(v, (int, float, bool)) and not isinstance(v, bool) or k == "nesterov"}),
                 start=start, **{f"grad{k}": g for k, g in enumerate(grads)}, **{f"after{k}": a for k, a in enumerate(after)})
    fam.write()


# ---------------------------------------------------------------- whole generated models
class SentimentModel(nn.Module):
    """The examples/Sentiment architecture at small sizes; attribute names give ModelDsl's state_dict names."""

    def __init__(self, vocab, d, heads, ff, layers, classes, length):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d)
        pe = torch.zeros(length, d)
        pos = torch.arange(length).unsqueeze(1)
        div = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
        self.register_buffer("pe", pe, persistent=False)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)

    def forward(self, ids, lengths):
        t = ids.shape[1]
        pad = torch.arange(t).unsqueeze(0) >= lengths.unsqueeze(1)
        x = self.encoder(self.tokens(ids) + self.pe[:t], src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).float()
        return self.head((x * keep).sum(1) / keep.sum(1))


class GptModel(nn.Module):
    """The examples/TinyGpt architecture at small sizes: pre-norm GELU causal blocks, final norm, tied head."""

    def __init__(self, vocab, d, heads, ff, layers, length):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d)
        self.positions = nn.Embedding(length, d)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d), enable_nested_tensor=False)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.tokens.weight

    def forward(self, ids):
        t = ids.shape[1]
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        return self.head(self.blocks(self.tokens(ids) + self.positions.weight[:t], mask=causal))


def model_family():
    fam = Family("models")
    torch.manual_seed(8000)
    model = SentimentModel(vocab=20, d=16, heads=2, ff=32, layers=2, classes=3, length=8)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") or "norm" in name:
                p.normal_(std=0.1).add_(1.0 if "norm" in name and name.endswith("weight") else 0.0)
    lengths = torch.tensor([8, 5, 3])
    ids = torch.randint(1, 20, (3, 8))
    ids[torch.arange(8).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    labels = torch.tensor([2, 0, 1])
    logits = model(ids, lengths)
    loss = F.cross_entropy(logits, labels, label_smoothing=0.1)
    params = dict(model.named_parameters())
    grads = torch.autograd.grad(loss, list(params.values()))
    tensors = dict(ids=ids, lengths=lengths, labels=labels, logits=logits, loss=loss.reshape(1))
    for (n, p), g in zip(params.items(), grads):
        tensors["param__" + n.replace(".", "__")] = p
        tensors["grad__" + n.replace(".", "__")] = g
    fam.case("sentiment", dict(vocab=20, width=16, heads=2, feedForward=32, layers=2, classes=3, length=8, labelSmoothing=0.1), **tensors)

    torch.manual_seed(8001)
    gpt = GptModel(vocab=16, d=16, heads=2, ff=64, layers=2, length=8)
    with torch.no_grad():
        for name, p in gpt.named_parameters():
            if name.endswith("bias") or "norm" in name:
                p.normal_(std=0.1).add_(1.0 if "norm" in name and name.endswith("weight") else 0.0)
    ids = torch.randint(0, 16, (2, 8))
    labels = torch.randint(0, 16, (2, 8))
    labels[0, 2] = -1
    labels[1, 5] = -1
    logits = gpt(ids)
    loss = F.cross_entropy(logits.reshape(-1, 16), labels.reshape(-1), ignore_index=-1)
    params = dict(gpt.named_parameters())  # the tied head.weight appears once, as tokens.weight
    grads = torch.autograd.grad(loss, list(params.values()))
    tensors = dict(ids=ids, labels=labels, logits=logits, loss=loss.reshape(1))
    for (n, p), g in zip(params.items(), grads):
        tensors["param__" + n.replace(".", "__")] = p
        tensors["grad__" + n.replace(".", "__")] = g
    fam.case("gpt", dict(vocab=16, width=16, heads=2, feedForward=64, layers=2, length=8), **tensors)
    fam.write()


# ---------------------------------------------------------------- whole generated encoder-decoders
def sinusoid_table(length, d):
    """The 2017 sin/cos table as ModelDsl fills it: angles and sin/cos in float64, then rounded to float32."""
    pos = torch.arange(length, dtype=torch.float64).unsqueeze(1)
    even = torch.arange(0, d, 2, dtype=torch.float64)
    angle = pos / torch.pow(torch.tensor(10000.0, dtype=torch.float64), even / d)
    pe = torch.zeros(length, d, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)[:, : d // 2]
    return pe.float()


class TranslatorModel(nn.Module):
    """examples/DateTranslator's Transformer encoder-decoder at small sizes; attribute names give ModelDsl's state_dict
    names. Source: embedding + sinusoidal positions (no sqrt(d) scaling) -> TransformerEncoder (src_key_padding_mask
    from the source lengths). Target: embedding + learned positions -> TransformerDecoder (causal tgt_mask,
    tgt_key_padding_mask when declared, memory_key_padding_mask from the source lengths) -> optional LayerNorm -> Linear.
    Pre-norm stacks end with their own LayerNorm (encoder.norm, decoder.norm), as ModelDsl plans them."""

    def __init__(self, vocab, d, heads, ff, layers, source_length, target_length, norm_first, activation, target_key_padding,
                 final_norm):
        super().__init__()
        self.target_key_padding = target_key_padding
        self.source_embedding = nn.Embedding(vocab, d)
        self.register_buffer("pe", sinusoid_table(source_length, d), persistent=False)
        enc = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation=activation, batch_first=True, norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(enc, layers, norm=nn.LayerNorm(d) if norm_first else None, enable_nested_tensor=False)
        self.target_embedding = nn.Embedding(vocab, d)
        self.target_positions = nn.Embedding(target_length, d)
        dec = nn.TransformerDecoderLayer(d, heads, ff, dropout=0.0, activation=activation, batch_first=True, norm_first=norm_first)
        self.decoder = nn.TransformerDecoder(dec, layers, norm=nn.LayerNorm(d) if norm_first else None)
        self.final_norm = nn.LayerNorm(d) if final_norm else None
        self.logits = nn.Linear(d, vocab)

    def forward(self, source, source_lengths, target, target_lengths):
        s, t = source.shape[1], target.shape[1]
        source_pad = torch.arange(s).unsqueeze(0) >= source_lengths.unsqueeze(1)
        memory = self.encoder(self.source_embedding(source) + self.pe[:s], src_key_padding_mask=source_pad)
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        target_pad = torch.arange(t).unsqueeze(0) >= target_lengths.unsqueeze(1) if self.target_key_padding else None
        y = self.decoder(self.target_embedding(target) + self.target_positions.weight[:t], memory, tgt_mask=causal,
                         tgt_key_padding_mask=target_pad, memory_key_padding_mask=source_pad)
        return self.logits(y if self.final_norm is None else self.final_norm(y))


def seq2seq_models_family():
    """Two generated Transformer encoder-decoders (SmallTranslator, SmallPreNormTranslator in
    tests/ModelDsl.Parity.Tests/TranslatorParityTests.cs) on a batch of 3 rows with different source and target lengths
    (length 1 included, the longest row shorter than the declared maximum in one case). Ids past a row's length are the
    pad id 0, labels there are the ignore index -100, and one valid position per case is ignored too. Stores the ids,
    lengths, labels, every parameter ("param.<state_dict name>"), the loss (mean cross-entropy over non-ignored
    positions), the logits [B, T, V], their log_softmax and every parameter gradient ("grad.<name>")."""
    fam = Family("seq2seq_models")
    vocab, d, heads, ff, layers, source_length, target_length = 13, 16, 2, 32, 2, 9, 6
    cases = [("translator", 8100, dict(norm_first=False, activation="relu", target_key_padding=False, final_norm=False), 0.0,
              [9, 1, 5], [4, 6, 1], (1, 2)),
             ("pre_norm_translator", 8101, dict(norm_first=True, activation="gelu", target_key_padding=True, final_norm=True), 0.1,
              [3, 8, 1], [1, 5, 3], (1, 3))]
    for name, seed, options, smoothing, source_lengths, target_lengths, ignored in cases:
        torch.manual_seed(seed)
        model = TranslatorModel(vocab, d, heads, ff, layers, source_length, target_length, **options)
        with torch.no_grad():
            for n, p in model.named_parameters():
                if n.endswith("bias") or "norm" in n:
                    p.normal_(std=0.1).add_(1.0 if "norm" in n and n.endswith("weight") else 0.0)
        source_lengths, target_lengths = torch.tensor(source_lengths), torch.tensor(target_lengths)
        s, t = int(source_lengths.max()), int(target_lengths.max())
        source = torch.randint(1, vocab, (3, s))
        source[torch.arange(s).unsqueeze(0) >= source_lengths.unsqueeze(1)] = 0
        target = torch.randint(1, vocab, (3, t))
        target_padded = torch.arange(t).unsqueeze(0) >= target_lengths.unsqueeze(1)
        target[target_padded] = 0
        labels = torch.randint(0, vocab, (3, t))
        labels[target_padded] = -100
        labels[ignored] = -100
        logits = model(source, source_lengths, target, target_lengths)
        loss = F.cross_entropy(logits.reshape(-1, vocab), labels.reshape(-1), ignore_index=-100, label_smoothing=smoothing)
        params = dict(model.named_parameters())
        grads = torch.autograd.grad(loss, list(params.values()))
        tensors = dict(source=source, source_lengths=source_lengths, target=target, target_lengths=target_lengths, labels=labels,
                       logits=logits, log_probs=F.log_softmax(logits, dim=-1), loss=loss.reshape(1))
        for (n, p), g in zip(params.items(), grads):
            tensors["param__" + n.replace(".", "__")] = p
            tensors["grad__" + n.replace(".", "__")] = g
        fam.case(name, dict(vocab=vocab, width=d, heads=heads, feedForward=ff, layers=layers, sourceLength=source_length,
                            targetLength=target_length, normFirst=options["norm_first"], activation=options["activation"],
                            targetKeyPadding=options["target_key_padding"], finalNorm=options["final_norm"], labelSmoothing=smoothing),
                 **tensors)
    fam.write()


# ---------------------------------------------------------------- seq2seq decoders
def decoder_loop(cell, attention, x, s0, c0, memory, params, target_lengths, source_lengths):
    """The decoder that seq2seq_family's docstring defines, as a cell loop over the target positions: cell is an
    nn.GRUCell / nn.LSTMCell (c0 given for LSTM), params holds W, U, v (Bahdanau), W_a (Luong general), W_c (Luong).
    Returns the outputs per position (zero rows at padded positions) and the attention weights (likewise)."""
    t, lstm = x.shape[1], c0 is not None
    if memory is not None:
        s = memory.shape[1]
        padded_keys = torch.arange(s).unsqueeze(0) >= source_lengths.unsqueeze(1)  # [B, S]

    def attend(scores):
        alpha = torch.softmax(scores.masked_fill(padded_keys, float("-inf")), dim=-1)
        return alpha, (alpha.unsqueeze(-1) * memory).sum(dim=1)

    state, cstate = s0, c0
    if attention == "Bahdanau":
        uh = memory @ params["U"].T  # [B, S, A], once per sequence
    if attention == "LuongGeneral":
        keys = memory @ params["W_a"].T  # [B, S, H]
    if attention == "LuongDot":
        keys = memory
    outs, alphas = [], []
    for step in range(t):
        valid = (step < target_lengths).unsqueeze(1)  # [B, 1]
        inp = x[:, step]
        if attention == "Bahdanau":
            scores = torch.tanh((state @ params["W"].T).unsqueeze(1) + uh) @ params["v"]
            alpha, context = attend(scores)
            inp = torch.cat([inp, context], dim=-1)
        if lstm:
            new_state, new_cell = cell(inp, (state, cstate))
            cstate = torch.where(valid, new_cell, cstate)
        else:
            new_state = cell(inp, state)
        state = torch.where(valid, new_state, state)
        if attention == "Bahdanau":
            out = torch.cat([new_state, context], dim=-1)
        elif attention == "None":
            out = new_state
        else:
            alpha, context = attend((new_state.unsqueeze(1) * keys).sum(dim=-1))
            out = torch.tanh(torch.cat([context, new_state], dim=-1) @ params["W_c"].T)
        outs.append(torch.where(valid, out, torch.zeros_like(out)))
        if attention != "None":
            alphas.append(torch.where(valid, alpha, torch.zeros_like(alpha)))
    return outs, alphas


def seq2seq_family():
    """One-layer RNN decoders with attention over encoder states, written out in plain PyTorch: an nn.GRUCell /
    nn.LSTMCell loop over the target positions (teacher forcing: x holds the embedded decoder inputs), masking for
    variable target lengths (a padded position keeps the state and outputs zeros) and source lengths (padded keys get
    -inf scores). Modes, as ModelDsl's RecurrentDecoder defines them:
      None:         s_t = cell(x_t, s_{t-1}); o_t = s_t
      Bahdanau:     e_tj = v . tanh(W s_{t-1} + U h_j); a = softmax(e); c_t = sum_j a_tj h_j;
                    s_t = cell([x_t; c_t], s_{t-1}); o_t = [s_t; c_t]
      LuongDot:     s_t = cell(x_t, s_{t-1}); e_tj = s_t . h_j; c_t as above; o_t = tanh(W_c [c_t; s_t])
      LuongGeneral: as LuongDot with e_tj = s_t . (W_a h_j)
    The loss is sum(out * dout) for a fixed random dout (padded rows included: their outputs are zero).
    """
    fam = Family("seq2seq")
    configs = [("GRU", "Bahdanau"), ("LSTM", "LuongGeneral"), ("GRU", "LuongDot"), ("GRU", "None")]
    # (batch, steps, source, E, H, M, A, target lengths, source lengths)
    sizes = [(1, 1, 1, 1, 1, 1, 1, [1], [1]), (3, 5, 6, 4, 7, 6, 5, [5, 1, 3], [4, 6, 1])]
    for i, (cell_kind, attention) in enumerate(configs):
        for j, (b, t, s, e, h, m, a, tl, sl) in enumerate(sizes):
            torch.manual_seed(9000 + 10 * i + j)
            m = h if attention == "LuongDot" else 0 if attention == "None" else m
            a = a if attention == "Bahdanau" else 0
            lstm = cell_kind == "LSTM"
            cell = (nn.LSTMCell if lstm else nn.GRUCell)(e + m if attention == "Bahdanau" else e, h)
            x, s0 = leaf(b, t, e), leaf(b, h, scale=0.5)
            c0 = leaf(b, h, scale=0.5) if lstm else None
            memory = leaf(b, s, m) if attention != "None" else None
            target_lengths, source_lengths = torch.tensor(tl), torch.tensor(sl)
            params = dict(cell.named_parameters())
            if attention == "Bahdanau":
                params.update(W=leaf(a, h, scale=0.5), U=leaf(a, m, scale=0.5), v=leaf(a, scale=0.5))
            if attention == "LuongGeneral":
                params.update(W_a=leaf(h, m, scale=0.5))
            if attention in ("LuongDot", "LuongGeneral"):
                params.update(W_c=leaf(h, m + h, scale=0.5))
            outs, alphas = decoder_loop(cell, attention, x, s0, c0, memory, params, target_lengths, source_lengths)
            out = torch.stack(outs, dim=1)  # [B, T, O]
            dout = torch.randn_like(out)
            loss = (out * dout).sum()
            leaves = dict(x=x, s0=s0)
            if lstm:
                leaves.update(c0=c0)
            if memory is not None:
                leaves.update(memory=memory)
            leaves.update(params)
            grads = torch.autograd.grad(loss, list(leaves.values()))
            tensors = dict(target_lengths=target_lengths, source_lengths=source_lengths, out=out, dout=dout, loss=loss.reshape(1))
            if alphas:
                tensors.update(weights=torch.stack(alphas, dim=1))  # [B, T, S]
            for (n, p), g in zip(leaves.items(), grads):
                tensors[n] = p
                tensors["grad__" + n] = g
            fam.case(f"{cell_kind.lower()}_{attention}{j}", dict(cell=cell_kind, attention=attention, batch=b, steps=t, sourceLength=s,
                                                                 inputSize=e, hiddenSize=h, memorySize=m, attentionSize=a), **tensors)
    fam.write()


# ---------------------------------------------------------------- whole generated RNN encoder-decoders
class RnnTranslatorModel(nn.Module):
    """examples/DateTranslator's RNN encoder-decoders at small sizes; attribute names give ModelDsl's state_dict names.
    Source: embedding -> nn.GRU / nn.LSTM (batch_first) over pack_padded_sequence(enforce_sorted=False); the memory is its
    padded output [B, S, F] and the final state f [B, F] the last layer's [forward final; backward final]. Target:
    embedding -> decoder_loop (decoder is the nn.GRUCell / nn.LSTMCell, its attention parameters under
    decoder.attention) from s0 = f, or tanh(W_b f + b_b) (decoder.bridge) when F differs from the decoder's hidden
    size, with c0 = 0 for LSTM -> Linear. Bahdanau's score vector v is decoder.attention.score [1, A]."""

    def __init__(self, vocab, embedding, cell, encoder_hidden, layers, bidirectional, hidden, attention, attention_size):
        super().__init__()
        self.cell, self.attention = cell, attention
        m = encoder_hidden * (2 if bidirectional else 1)
        self.source_embedding = nn.Embedding(vocab, embedding)
        self.encoder = getattr(nn, cell)(embedding, encoder_hidden, num_layers=layers, bidirectional=bidirectional, batch_first=True)
        self.target_embedding = nn.Embedding(vocab, embedding)
        self.decoder = getattr(nn, cell + "Cell")(embedding + m if attention == "Bahdanau" else embedding, hidden)
        self.decoder.attention = nn.Module()
        shapes = dict(Bahdanau=dict(state_weight=(attention_size, hidden), memory_weight=(attention_size, m), score=(1, attention_size)),
                      LuongDot=dict(combine_weight=(hidden, m + hidden)),
                      LuongGeneral=dict(memory_weight=(hidden, m), combine_weight=(hidden, m + hidden)))
        for name, shape in shapes.get(attention, {}).items():
            setattr(self.decoder.attention, name, nn.Parameter(torch.zeros(*shape)))  # drawn by the family
        if m != hidden:
            self.decoder.bridge = nn.Linear(m, hidden)
        self.logits = nn.Linear(hidden + m if attention == "Bahdanau" else hidden, vocab)

    def forward(self, source, source_lengths, target, target_lengths):
        """Returns the logits [B, T, V] and the attention weights [B, T, S] (None without attention)."""
        packed = nn.utils.rnn.pack_padded_sequence(self.source_embedding(source), source_lengths, batch_first=True, enforce_sorted=False)
        states, final = self.encoder(packed)
        h_n = final[0] if self.cell == "LSTM" else final  # [layers * directions, B, H]
        memory, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=source.shape[1])
        f = torch.cat([h_n[-2], h_n[-1]], dim=-1) if self.encoder.bidirectional else h_n[-1]
        s0 = torch.tanh(self.decoder.bridge(f)) if hasattr(self.decoder, "bridge") else f
        c0 = torch.zeros_like(s0) if self.cell == "LSTM" else None
        a = dict(self.decoder.attention.named_parameters())
        params = dict(W=a.get("state_weight"), U=a.get("memory_weight"), v=a["score"].reshape(-1) if "score" in a else None,
                      W_a=a.get("memory_weight"), W_c=a.get("combine_weight"))
        outs, alphas = decoder_loop(self.decoder, self.attention, self.target_embedding(target), s0, c0,
                                    None if self.attention == "None" else memory, params, target_lengths, source_lengths)
        return self.logits(torch.stack(outs, dim=1)), torch.stack(alphas, dim=1) if alphas else None


def rnn_seq2seq_models_family():
    """Two generated RNN encoder-decoders (SmallGruTranslator, SmallLstmTranslator in
    tests/ModelDsl.Parity.Tests/RnnTranslatorParityTests.cs): a bidirectional GRU encoder (5 + 5) with a GRU + Bahdanau
    decoder (hidden 7, so a bridge 10 -> 7), and a 2-layer LSTM encoder (7) with an LSTM + Luong general decoder (7, no
    bridge) and label smoothing 0.1. A batch of 3 rows with different source and target lengths (length 1 included, the
    longest source shorter than the declared maximum in the first case); ids past a row's length are the pad id 0, labels
    there -100, and one valid position per case is ignored too. Stores what seq2seq_models stores (ids, lengths, labels,
    "param.<state_dict name>", loss, logits, log_probs, "grad.<name>") and the attention weights [B, T, S]."""
    fam = Family("rnn_seq2seq_models")
    vocab, embedding, source_length, target_length = 13, 4, 9, 6
    cases = [("gru_bahdanau", 8200, dict(cell="GRU", encoder_hidden=5, layers=1, bidirectional=True, hidden=7, attention="Bahdanau",
                                         attention_size=6), 0.0, [5, 1, 7], [4, 6, 1], (0, 2)),
             ("lstm_luong_general", 8201, dict(cell="LSTM", encoder_hidden=7, layers=2, bidirectional=False, hidden=7,
                                               attention="LuongGeneral", attention_size=0), 0.1, [3, 9, 1], [1, 5, 6], (1, 3))]
    for name, seed, options, smoothing, source_lengths, target_lengths, ignored in cases:
        torch.manual_seed(seed)
        model = RnnTranslatorModel(vocab, embedding, **options)
        with torch.no_grad():  # weights N(0, 1), biases N(0, 0.1): each gradient's median is 70x assert_close's atol or more
            for n, p in model.named_parameters():
                p.normal_(std=0.1 if "bias" in n else 1.0)
        source_lengths, target_lengths = torch.tensor(source_lengths), torch.tensor(target_lengths)
        s, t = int(source_lengths.max()), int(target_lengths.max())
        source = torch.randint(1, vocab, (3, s))
        source[torch.arange(s).unsqueeze(0) >= source_lengths.unsqueeze(1)] = 0
        target = torch.randint(1, vocab, (3, t))
        target_padded = torch.arange(t).unsqueeze(0) >= target_lengths.unsqueeze(1)
        target[target_padded] = 0
        labels = torch.randint(0, vocab, (3, t))
        labels[target_padded] = -100
        labels[ignored] = -100
        logits, weights = model(source, source_lengths, target, target_lengths)
        loss = F.cross_entropy(logits.reshape(-1, vocab), labels.reshape(-1), ignore_index=-100, label_smoothing=smoothing)
        params = dict(model.named_parameters())
        grads = torch.autograd.grad(loss, list(params.values()))
        tensors = dict(source=source, source_lengths=source_lengths, target=target, target_lengths=target_lengths, labels=labels,
                       logits=logits, log_probs=F.log_softmax(logits, dim=-1), loss=loss.reshape(1), weights=weights)
        for (n, p), g in zip(params.items(), grads):
            tensors["param__" + n.replace(".", "__")] = p
            tensors["grad__" + n.replace(".", "__")] = g
        o = options
        fam.case(name, dict(vocab=vocab, embedding=embedding, sourceLength=source_length, targetLength=target_length, cell=o["cell"],
                            encoderHidden=o["encoder_hidden"], layers=o["layers"], bidirectional=o["bidirectional"], hidden=o["hidden"],
                            attention=o["attention"], attentionSize=o["attention_size"], labelSmoothing=smoothing), **tensors)
    fam.write()


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    families = [linear_family, activation_family, prelu_family, norm_family, embedding_loss_family, attention_family,
                transformer_family, recurrent_family, bahdanau_family, optimizer_family, model_family, seq2seq_family,
                seq2seq_models_family, rnn_seq2seq_models_family, final_state_family]
    families.append(__import__("embeddings").embeddings_family)  # tests/parity/embeddings.py (issue 21)
    families.append(__import__("losses").losses_family)  # tests/parity/losses.py (issue 19)
    families.append(__import__("vision").vision_family)  # tests/parity/vision.py: the image layers (issue 20)
    families.append(__import__("multihead").multihead_family)  # tests/parity/multihead.py: several heads and losses (issue 19)
    wanted = set(sys.argv[1:])
    for family in families:
        if not wanted or family.__name__.replace("_family", "") in wanted:
            family()


if __name__ == "__main__":
    main()
