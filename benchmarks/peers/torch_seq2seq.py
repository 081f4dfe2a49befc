#!/usr/bin/python3
"""PyTorch peer for the seq2seq training step: a GRU encoder and a GRU decoder with Bahdanau attention, trained with
teacher forcing, one thread. Prints the median time of one step (forward, cross-entropy, backward, Adam) over 50 steps
after warm-up:

    /usr/bin/python3 benchmarks/peers/torch_seq2seq.py

Model (the sizes of the issue): vocabulary 40, embedding 64 (source and target tables), one-layer unidirectional GRU
encoder with hidden 128, decoder GRUCell(64 + 128, 128) whose initial state is the encoder's final state, Bahdanau
attention e_tj = v . tanh(W s_{t-1} + U h_j) with attention width 128 (U h computed once per batch), output
Linear([s_t; c_t] -> 40), batch 32, source length 20, target length 12, full lengths.
"""
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Seq2Seq(nn.Module):
    def __init__(self, vocab, embedding, hidden, attention):
        super().__init__()
        self.source_embedding = nn.Embedding(vocab, embedding)
        self.target_embedding = nn.Embedding(vocab, embedding)
        self.encoder = nn.GRU(embedding, hidden, batch_first=True)
        self.decoder = nn.GRUCell(embedding + hidden, hidden)
        self.W = nn.Linear(hidden, attention, bias=False)
        self.U = nn.Linear(hidden, attention, bias=False)
        self.v = nn.Parameter(torch.empty(attention).uniform_(-0.1, 0.1))
        self.logits = nn.Linear(2 * hidden, vocab)

    def forward(self, source, decoder_inputs):
        h, final = self.encoder(self.source_embedding(source))  # [B, S, H], [1, B, H]
        uh = self.U(h)  # [B, S, A], once per sequence
        state = final[0]
        x = self.target_embedding(decoder_inputs)  # [B, T, E]
        outputs = []
        for t in range(x.shape[1]):
            scores = torch.tanh(self.W(state).unsqueeze(1) + uh) @ self.v  # [B, S]
            alpha = torch.softmax(scores, dim=-1)
            context = (alpha.unsqueeze(-1) * h).sum(dim=1)  # [B, H]
            state = self.decoder(torch.cat([x[:, t], context], dim=-1), state)
            outputs.append(torch.cat([state, context], dim=-1))
        return self.logits(torch.stack(outputs, dim=1))  # [B, T, V]


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    vocab, batch, source_length, target_length = 40, 32, 20, 12
    model = Seq2Seq(vocab, 64, 128, 128)
    source = torch.randint(1, vocab, (batch, source_length))
    targets = torch.randint(1, vocab, (batch, target_length))
    decoder_inputs = torch.cat([torch.zeros(batch, 1, dtype=torch.long), targets[:, :-1]], dim=1)  # start token 0
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=False)
        logits = model(source, decoder_inputs)
        F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1)).backward()
        opt.step()

    for _ in range(10):
        step()
    samples = []
    for _ in range(50):
        start = time.perf_counter()
        step()
        samples.append(time.perf_counter() - start)
    model.eval()
    forward_samples = []
    with torch.no_grad():
        for i in range(60):
            start = time.perf_counter()
            logits = model(source, decoder_inputs)
            F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))
            if i >= 10:
                forward_samples.append(time.perf_counter() - start)
    print(f"torch {torch.__version__}, 1 thread; step median, then forward + loss median (eval mode, no_grad)")
    print(f"| seq2seq GRU+Bahdanau B{batch} S{source_length} T{target_length} E64 H128 A128 V{vocab} | "
          f"{statistics.median(samples) * 1e3:.2f} ms | {statistics.median(forward_samples) * 1e3:.2f} ms |")


if __name__ == "__main__":
    main()
