#!/usr/bin/python3
"""PyTorch peer for Seq2SeqBenchmarks: the DateTranslator Transformer encoder-decoder as of wave 1 (vocabulary 48, D 64, 4 heads,
FFN 128, ReLU, 2 post-norm encoder + 2 post-norm decoder layers, no final norms, dropout 0; sinusoidal source
positions, learned target positions) on a batch of 64 pairs, sources of 20-29 tokens padded to the batch's longest,
targets of 11 tokens. Prints the median over 40 runs after 5 warm-up runs of:

- step: zero_grad, forward, cross-entropy, backward, Adam step;
- forward: forward and loss under no_grad, in training mode (the same code path as the step) and in eval mode
  (where nn.TransformerEncoderLayer may take its fused inference path);
- greedy: no_grad, in training mode and in eval mode: encode the 64 sources once, then 11 steps that each re-run the decoder on the whole
  prefix (the plain nn.TransformerDecoder way: it has no key/value cache), take the last position's log-softmax and
  its argmax. Every row runs all 11 steps (no early stop at the end token).

    /usr/bin/python3 benchmarks/peers/torch_seq2seq_models.py [threads]   # default 1
"""
import math
import random
import statistics
import sys
import time
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, D, HEADS, FF, SOURCE_LENGTH, TARGET_LENGTH = 48, 64, 4, 128, 32, 11
BATCH, BOS, EOS, FIRST_CHARACTER = 64, 1, 2, 3


class DateSeq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.source_embedding = nn.Embedding(VOCAB, D)
        pe = torch.zeros(SOURCE_LENGTH, D)
        pos = torch.arange(SOURCE_LENGTH).unsqueeze(1)
        div = torch.exp(torch.arange(0, D, 2) * (-math.log(10000.0) / D))
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
        self.register_buffer("source_positions", pe)
        encoder_layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, activation="relu", batch_first=True)
        self.encoder = nn.TransformerEncoder(encoder_layer, 2)
        self.target_embedding = nn.Embedding(VOCAB, D)
        self.target_positions = nn.Parameter(torch.randn(TARGET_LENGTH, D) * 0.02)
        decoder_layer = nn.TransformerDecoderLayer(D, HEADS, FF, dropout=0.0, activation="relu", batch_first=True)
        self.decoder = nn.TransformerDecoder(decoder_layer, 2)
        self.logits = nn.Linear(D, VOCAB)
        self.register_buffer("causal", torch.triu(torch.ones(TARGET_LENGTH, TARGET_LENGTH, dtype=torch.bool), diagonal=1))

    def encode(self, source, pad):
        x = self.source_embedding(source) + self.source_positions[: source.shape[1]]
        return self.encoder(x, src_key_padding_mask=pad)

    def decode(self, target, memory, pad):
        t = target.shape[1]
        y = self.target_embedding(target) + self.target_positions[:t]
        return self.decoder(y, memory, tgt_mask=self.causal[:t, :t], memory_key_padding_mask=pad)

    def forward(self, source, pad, target):
        return self.logits(self.decode(target, self.encode(source, pad), pad))


def median_seconds(fn, repeats=40, warmup=5):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    warnings.filterwarnings("ignore", message="The PyTorch API of nested tensors")
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rng = random.Random(1)
    lengths = [rng.randint(20, 29) for _ in range(BATCH)]
    longest = max(lengths)
    source = torch.zeros(BATCH, longest, dtype=torch.long)  # pad id 0
    for row, length in enumerate(lengths):
        source[row, :length] = torch.randint(FIRST_CHARACTER, VOCAB, (length,))
    pad = torch.arange(longest).unsqueeze(0) >= torch.tensor(lengths).unsqueeze(1)  # True = padding key
    characters = torch.randint(FIRST_CHARACTER, VOCAB, (BATCH, TARGET_LENGTH - 1))
    decoder_input = torch.cat([torch.full((BATCH, 1), BOS), characters], dim=1)
    labels = torch.cat([characters, torch.full((BATCH, 1), EOS)], dim=1)

    model = DateSeq2Seq()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=False)
        F.cross_entropy(model(source, pad, decoder_input).reshape(-1, VOCAB), labels.reshape(-1)).backward()
        opt.step()

    def forward():
        with torch.no_grad():
            F.cross_entropy(model(source, pad, decoder_input).reshape(-1, VOCAB), labels.reshape(-1))

    def greedy():
        with torch.no_grad():
            memory = model.encode(source, pad)
            tokens = torch.full((BATCH, 1), BOS)
            for _ in range(TARGET_LENGTH):
                last = model.decode(tokens, memory, pad)[:, -1]
                log_probabilities = F.log_softmax(model.logits(last), dim=-1)
                tokens = torch.cat([tokens, log_probabilities.argmax(dim=-1, keepdim=True)], dim=1)
        return tokens

    model.train()
    step_s = median_seconds(step)
    forward_train_s = median_seconds(forward)
    greedy_train_s = median_seconds(greedy)
    model.eval()
    forward_eval_s = median_seconds(forward)
    greedy_s = median_seconds(greedy)
    assert greedy().shape == (BATCH, TARGET_LENGTH + 1)

    tokens = BATCH * TARGET_LENGTH
    print(f"torch {torch.__version__}, {threads} thread(s); B{BATCH}, source lengths {min(lengths)}-{max(lengths)} "
          f"({sum(lengths)} tokens, padded to {longest}), target {TARGET_LENGTH}; median of 40 after 5 warm-up")
    print("| case | median | target tokens/s |")
    print("| --- | ---: | ---: |")
    for name, seconds in [("step (Adam)", step_s), ("forward + loss, train mode", forward_train_s),
                          ("forward + loss, eval mode", forward_eval_s), ("greedy 64 x 11, no cache, train mode", greedy_train_s), ("greedy 64 x 11, no cache, eval mode", greedy_s)]:
        print(f"| {name} | {seconds * 1e3:.2f} ms | {tokens / seconds:,.0f} |")


if __name__ == "__main__":
    main()
