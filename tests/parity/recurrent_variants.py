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

The family also writes recurrent_variants_models: whole generated encoder-decoders whose LSTM decoder starts from the LSTM
encoder's final cell (CellFromEncoder), read by tests/ModelDsl.Parity.Tests/CellFromEncoderParityTests.cs.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from generate import Family, RnnTranslatorModel, decoder_loop, leaf


class CellHandedTranslator(RnnTranslatorModel):
    """RnnTranslatorModel (generate.py) with the encoder's (h_n, c_n) handed to the decoder, as the PyTorch seq2seq tutorials
    do: s0 = the last layer's final state and c0 = its final cell, each torch.cat([n[-2], n[-1]], -1) when bidirectional (no
    bridge: the encoder's final width is the decoder's hidden size)."""

    def forward(self, source, source_lengths, target, target_lengths):
        packed = nn.utils.rnn.pack_padded_sequence(self.source_embedding(source), source_lengths, batch_first=True, enforce_sorted=False)
        states, (h_n, c_n) = self.encoder(packed)
        memory, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=source.shape[1])

        def last(n):
            return torch.cat([n[-2], n[-1]], dim=-1) if self.encoder.bidirectional else n[-1]

        s0, c0 = last(h_n), last(c_n)
        a = dict(self.decoder.attention.named_parameters())
        params = dict(W=a.get("state_weight"), U=a.get("memory_weight"), v=a["score"].reshape(-1) if "score" in a else None,
                      W_a=a.get("memory_weight"), W_c=a.get("combine_weight"))
        outs, alphas = decoder_loop(self.decoder, self.attention, self.target_embedding(target), s0, c0, memory, params,
                                    target_lengths, source_lengths)
        return self.logits(torch.stack(outs, dim=1)), torch.stack(alphas, dim=1)


def cell_handed_models():
    """Two generated encoder-decoders (LstmCellHandedTranslator, LstmBiCellHandedTranslator in CellFromEncoderParityTests.cs): a
    2-layer LSTM encoder (7) with an LSTM + Luong general decoder (7), and a bidirectional LSTM encoder (4 + 4) with an LSTM +
    Bahdanau decoder (8, attention size 5). The batch and the stored tensors are those of generate.py's
    rnn_seq2seq_models_family (ids, lengths, labels, "param.<state_dict name>", loss, logits, log_probs, "grad.<name>", weights)."""
    fam = Family("recurrent_variants_models")
    vocab, embedding, source_length, target_length = 13, 4, 9, 6
    cases = [("lstm_cell_luong_general", 21100, dict(cell="LSTM", encoder_hidden=7, layers=2, bidirectional=False, hidden=7,
                                                     attention="LuongGeneral", attention_size=0), [3, 9, 1], [1, 5, 6], (1, 3)),
             ("lstm_bi_cell_bahdanau", 21101, dict(cell="LSTM", encoder_hidden=4, layers=1, bidirectional=True, hidden=8,
                                                   attention="Bahdanau", attention_size=5), [5, 1, 7], [4, 6, 1], (0, 2))]
    for name, seed, options, source_lengths, target_lengths, ignored in cases:
        torch.manual_seed(seed)
        model = CellHandedTranslator(vocab, embedding, **options)
        with torch.no_grad():  # weights N(0, 1), biases N(0, 0.1), as rnn_seq2seq_models_family
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
        loss = F.cross_entropy(logits.reshape(-1, vocab), labels.reshape(-1), ignore_index=-100)
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
                            attention=o["attention"], attentionSize=o["attention_size"], labelSmoothing=0.0), **tensors)
    fam.write()


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
    cell_handed_models()
