"""The PyTorch peer of `streaming-lstm bench quality`: the classic offline set-up on the same text.

Trains PyTorch's nn.LSTM byte-level language model (embedding E, L layers of H, linear head to 258 tokens, forget
bias 1) on the training tokens cut into B contiguous streams, windows of T with (h, c) carried and detached
(truncated BPTT), Adam (betas BETA1, BETA2) with global-norm clipping; at each of the given token counts it scores
the held-out tokens as `streaming-lstm eval` does (state carried across windows of 256, mean -log2 p of tokens
1..n-1) and prints `tokens=N heldout_bpc=X`; last `tokens_per_s=X` (training only).

Usage: torch_quality_peer.py TRAIN.u16 HELDOUT.u16 B T E H LAYERS LR CLIP PASSES POINTS THREADS SEED BETA1 BETA2
(token files: little-endian uint16 token ids; each pass starts from zero states; POINTS: comma-separated token
counts; a held-out score is printed at the end too if the last point was not reached).
"""
import sys
import time

import numpy as np
import torch
from torch import nn

VOCAB = 258


class Model(nn.Module):
    def __init__(self, embed, hidden, layers):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, embed)
        self.lstm = nn.LSTM(embed, hidden, layers)
        self.head = nn.Linear(hidden, VOCAB)
        with torch.no_grad():
            for name, p in self.lstm.named_parameters():
                if name.startswith("bias_ih"):
                    p[hidden:2 * hidden].fill_(1.0)  # gates i, f, g, o: forget bias 1
                elif name.startswith("bias_hh"):
                    p[hidden:2 * hidden].fill_(0.0)

    def forward(self, x, state):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


def detach(state):
    return tuple(s.detach() for s in state)


def heldout_bpc(model, tokens, window=256):
    """Mean -log2 p over tokens 1..n-1, read in windows with the state carried (batch of one)."""
    model.eval()
    loss = nn.CrossEntropyLoss(reduction="sum")
    total = 0.0
    state = None
    with torch.no_grad():
        for start in range(0, len(tokens) - 1, window):
            end = min(start + window, len(tokens) - 1)
            x = tokens[start:end].view(-1, 1)
            y = tokens[start + 1:end + 1].view(-1)
            logits, state = model(x, state)
            total += loss(logits.view(-1, VOCAB), y).item()
    model.train()
    return total / (len(tokens) - 1) / np.log(2)


def main(argv):
    (train_file, heldout_file, batch, window, embed, hidden, layers, lr, clip, passes, points, threads, seed,
     beta1, beta2) = argv
    batch, window, embed, hidden, layers = int(batch), int(window), int(embed), int(hidden), int(layers)
    lr, clip = float(lr), float(clip)
    points = [int(p) for p in points.split(",") if p]
    torch.set_num_threads(int(threads))
    torch.manual_seed(int(seed))
    train = torch.from_numpy(np.fromfile(train_file, dtype="<u2").astype(np.int64))
    heldout = torch.from_numpy(np.fromfile(heldout_file, dtype="<u2").astype(np.int64))
    length = len(train) // batch
    streams = train[:length * batch].view(batch, length).t().contiguous()  # [L, B]: column b is stream b

    model = Model(embed, hidden, layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(float(beta1), float(beta2)))
    loss_fn = nn.CrossEntropyLoss()
    tokens = 0
    training_seconds = 0.0
    windows = [start for _ in range(int(passes)) for start in range(0, length - 1, window)]
    state = None
    for start in windows:
        if not points:
            break
        if start == 0:
            state = None
        began = time.perf_counter()
        end = min(start + window, length - 1)
        x = streams[start:end]
        y = streams[start + 1:end + 1]
        logits, state = model(x, state)
        state = detach(state)
        loss = loss_fn(logits.view(-1, VOCAB), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        tokens += (end - start) * batch
        training_seconds += time.perf_counter() - began
        while points and tokens >= points[0]:
            print("tokens=%d heldout_bpc=%.4f" % (tokens, heldout_bpc(model, heldout)), flush=True)
            points.pop(0)
    if points:
        print("tokens=%d heldout_bpc=%.4f" % (tokens, heldout_bpc(model, heldout)), flush=True)
    print("tokens_per_s=%.0f" % (tokens / max(training_seconds, 1e-9)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
