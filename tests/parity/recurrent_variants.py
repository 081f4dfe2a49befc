"""RNN decoder variants (issue 21), hooked into generate.py as the "recurrent_variants" family.

Luong concat attention, written as Luong et al. (2015) write it, with one nn.Linear(H + M, A, bias=False) W_a over the
concatenation [s_t; h_j] and a score vector v:

    s_t = cell(x_t, s_{t-1});  e_tj = v . tanh(W_a [s_t; h_j]);  a_t = softmax(e_t) over the valid keys;
    c_t = sum_j a_tj h_j;  o_t = tanh(W_c [c_t; s_t])

as an nn.GRUCell / nn.LSTMCell loop over the target positions with masked lengths (a padded target position keeps its state
and outputs zeros; padded keys score -inf). ModelDsl keeps W_a as its two blocks, W = W_a[:, :H] on the state and
U = W_a[:, H:] on the memory: the case stores W, U, v, W_c (and grad.W, grad.U as the two blocks of grad.W_a), with the
tensor names of the seq2seq family (x, s0, c0, memory, weight_ih, ..., out, dout, weights, grad.<name>), so that
RecurrentDecoderParityTests reads both families the same way.
"""
import torch
import torch.nn as nn

from generate import Family, leaf


class LuongConcatDecoder(nn.Module):
    """A one-layer decoder with Luong concat attention and no input feeding."""

    def __init__(self, cell, e, h, m, a):
        super().__init__()
        self.cell = (nn.LSTMCell if cell == "LSTM" else nn.GRUCell)(e, h)
        self.score = nn.Linear(h + m, a, bias=False)  # W_a over [s_t; h_j]
        self.v = nn.Parameter(torch.empty(a))
        self.combine = nn.Linear(m + h, h, bias=False)  # W_c over [c_t; s_t]

    def forward(self, x, s0, c0, memory, target_lengths, source_lengths):
        s = memory.shape[1]
        padded = torch.arange(s).unsqueeze(0) >= source_lengths.unsqueeze(1)
        state, cell_state, outs, alphas = s0, c0, [], []
        for step in range(x.shape[1]):
            valid = (step < target_lengths).unsqueeze(1)
            if c0 is not None:
                new_state, new_cell = self.cell(x[:, step], (state, cell_state))
                cell_state = torch.where(valid, new_cell, cell_state)
            else:
                new_state = self.cell(x[:, step], state)
            state = torch.where(valid, new_state, state)
            pairs = torch.cat([new_state.unsqueeze(1).expand(-1, s, -1), memory], dim=-1)  # [B, S, H + M]
            scores = torch.tanh(self.score(pairs)) @ self.v
            alpha = torch.softmax(scores.masked_fill(padded, float("-inf")), dim=-1)
            context = (alpha.unsqueeze(-1) * memory).sum(dim=1)
            out = torch.tanh(self.combine(torch.cat([context, new_state], dim=-1)))
            outs.append(torch.where(valid, out, torch.zeros_like(out)))
            alphas.append(torch.where(valid, alpha, torch.zeros_like(alpha)))
        return torch.stack(outs, dim=1), torch.stack(alphas, dim=1)


def recurrent_variants_family():
    fam = Family("recurrent_variants")
    # (batch, steps, source, E, H, M, A, target lengths, source lengths): the 1-wide edge, and lengths with a 1 on both sides
    sizes = [(1, 1, 1, 1, 1, 1, 1, [1], [1]), (3, 5, 6, 4, 7, 6, 5, [5, 1, 3], [4, 6, 1])]
    for i, cell_kind in enumerate(["GRU", "LSTM"]):
        for j, (b, t, s, e, h, m, a, tl, sl) in enumerate(sizes):
            torch.manual_seed(21000 + 10 * i + j)
            lstm = cell_kind == "LSTM"
            module = LuongConcatDecoder(cell_kind, e, h, m, a)
            with torch.no_grad():
                module.v.uniform_(-1.0, 1.0)
            x, s0 = leaf(b, t, e), leaf(b, h, scale=0.5)
            c0 = leaf(b, h, scale=0.5) if lstm else None
            memory = leaf(b, s, m)
            target_lengths, source_lengths = torch.tensor(tl), torch.tensor(sl)
            out, weights = module(x, s0, c0, memory, target_lengths, source_lengths)
            dout = torch.randn_like(out)
            loss = (out * dout).sum()
            leaves = dict(x=x, s0=s0)
            if lstm:
                leaves.update(c0=c0)
            leaves.update(memory=memory)
            leaves.update(dict(module.cell.named_parameters()))
            leaves.update(W_a=module.score.weight, v=module.v, W_c=module.combine.weight)
            grads = dict(zip(leaves, torch.autograd.grad(loss, list(leaves.values()))))
            tensors = dict(target_lengths=target_lengths, source_lengths=source_lengths, out=out, dout=dout, loss=loss.reshape(1),
                           weights=weights)
            for n, p in leaves.items():
                if n == "W_a":
                    tensors.update(W=p[:, :h], U=p[:, h:], grad__W=grads[n][:, :h], grad__U=grads[n][:, h:])
                else:
                    tensors[n] = p
                    tensors["grad__" + n] = grads[n]
            fam.case(f"{cell_kind.lower()}_LuongConcat{j}", dict(cell=cell_kind, attention="LuongConcat", batch=b, steps=t, sourceLength=s,
                                                                  inputSize=e, hiddenSize=h, memorySize=m, attentionSize=a), **tensors)
    fam.write()
