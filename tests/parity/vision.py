"""Parity fixtures of the image layers (issue 20), hooked into generate.py by one line; run as part of it:

    /usr/bin/python3 tests/parity/generate.py vision

Family "vision" (fixtures/vision.safetensors):
- conv.*: nn.Conv2d over a sweep of kernel/stride/padding/dilation/groups/bias, NCHW: x [B, C, H, W], weight
  [O, C/groups, k, k], bias [O], out, dout, grad.x, grad.weight, grad.bias (loss = sum(out * dout)).
- maxpool.*, avgpool.*: F.max_pool2d / F.avg_pool2d (count_include_pad=True, ceil_mode=False) over kernel/stride/padding.
- globalpool.*: x.mean(dim=(2, 3)).
- conv1d.*: nn.Conv1d over a sweep of kernel/stride/padding/dilation/groups/bias, stored channels-last as ModelDsl's sequences are:
  x [B, L, C] (PyTorch's input is x.transpose(1, 2)), weight [O, C/groups, k], bias [O], out [B, L', O], dout, grad.x, grad.weight,
  grad.bias.
- conv1d_model: VisionParityTests' SmallConv1d (two Conv1d over a feature sequence, one keeping the length and one strided,
  dilated and grouped, a mean pool and a Dense head), as the whole models below.
- mixer: VisionParityTests' SmallMixer (an MLP-Mixer block of [LayerNorm], [TokenMixing], [Dense], [Add] over a patch
  embedding), as the whole models below.
- cnn, cnn_global, vit: two whole CNNs and a ViT as ModelDsl generates them (VisionParityTests' SmallCnn, SmallGlobalCnn and
  SmallVit: patch embedding, class token, positions, a pre-norm encoder, the class token's row to the head): images,
  labels, "param.<state_dict name>", logits, loss (cross-entropy, mean over the rows) and "grad.<name>".
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from generate import Family, backward, leaf


class SmallCnn(nn.Module):
    """[Input(1, 8, 8)] -> Conv2d(6, 3, Padding = 1) -> ReLU -> MaxPool2d(2) -> Conv2d(8, 3, Padding = 2, Dilation = 2,
    Groups = 2) -> AvgPool2d(3, Stride = 2, Padding = 1) -> Flatten -> Dense(5)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.conv2 = nn.Conv2d(6, 8, 3, padding=2, dilation=2, groups=2)
        self.head = nn.Linear(8 * 2 * 2, 5)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.avg_pool2d(self.conv2(h), 3, stride=2, padding=1)
        return self.head(h.flatten(1))


class SmallGlobalCnn(nn.Module):
    """[Input(3, 7, 9)] -> Conv2d(4, 3, Stride = 2, Bias = false) -> GELU -> Conv2d(6, 2) -> GlobalAvgPool2d -> Dense(3)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, stride=2, bias=False)
        self.conv2 = nn.Conv2d(4, 6, 2)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        h = self.conv2(F.gelu(self.conv1(x)))
        return self.head(h.mean(dim=(2, 3)))


class SmallConv1d(nn.Module):
    """[Input(12, Features = 3)] -> Conv1d(6, 3, Padding = 1) -> ReLU -> Conv1d(8, 3, Stride = 2, Padding = 2, Dilation = 2, Groups = 2)
    -> MeanPool -> Dense(4); the sequence is channels-last [B, T, 3], transposed for nn.Conv1d."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(3, 6, 3, padding=1)
        self.conv2 = nn.Conv1d(6, 8, 3, stride=2, padding=2, dilation=2, groups=2)
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        h = self.conv2(F.relu(self.conv1(x.transpose(1, 2))))
        return self.head(h.mean(dim=2))


class PatchEmbed(nn.Module):
    """[PatchEmbedding(P, D)]: nn.Conv2d(C, D, P, stride=P) over the image, the patches row by row, a class token prepended and
    learned positions added (ModelDsl's names: proj, cls_token, pos_embed)."""

    def __init__(self, channels, patch, d, tokens):
        super().__init__()
        self.proj = nn.Conv2d(channels, d, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, d))
        self.pos_embed = nn.Parameter(torch.randn(1, tokens, d))

    def forward(self, x):
        h = self.proj(x).flatten(2).transpose(1, 2)
        return torch.cat([self.cls_token.expand(x.shape[0], -1, -1), h], dim=1) + self.pos_embed


class SmallVit(nn.Module):
    """[Input(2, 8, 6)] -> PatchEmbedding(2, 8) (12 patches + the class token) -> TransformerEncoder(Layers = 2, Heads = 2,
    FeedForward = 16, NormFirst = true, Dropout = 0) with its final LayerNorm -> FirstTokenPool -> Dense(4)."""

    def __init__(self):
        super().__init__()
        self.patches = PatchEmbed(2, 2, 8, 13)
        layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8), enable_nested_tensor=False)
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        return self.head(self.encoder(self.patches(x))[:, 0])


class SmallMixer(nn.Module):
    """[Input(2, 8, 8)] -> PatchEmbedding(4, 8) (4 patches + the class token) -> one Mixer block (LayerNorm -> TokenMixing(6) ->
    GELU -> TokenMixing(5) -> + patches; LayerNorm -> Dense(12) -> GELU -> Dense(8) -> + the token-mixed sum) -> LayerNorm ->
    MeanPool -> Dense(3). Token mixing is nn.Linear over the transposed sequence."""

    def __init__(self):
        super().__init__()
        self.patches = PatchEmbed(2, 4, 8, 5)
        self.norm1, self.token1, self.token2 = nn.LayerNorm(8), nn.Linear(5, 6), nn.Linear(6, 5)
        self.norm2, self.channel1, self.channel2 = nn.LayerNorm(8), nn.Linear(8, 12), nn.Linear(12, 8)
        self.norm = nn.LayerNorm(8)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        h = self.patches(x)
        h = h + self.token2(F.gelu(self.token1(self.norm1(h).transpose(1, 2)))).transpose(1, 2)
        h = h + self.channel2(F.gelu(self.channel1(self.norm2(h))))
        return self.head(self.norm(h).mean(dim=1))


def model_case(fam, name, model, batch, shape, classes, seed):
    torch.manual_seed(seed)
    with torch.no_grad():  # biases N(0, 0.1) rather than zeros, so their gradients are tested at a general point
        for n, p in model.named_parameters():
            if n.endswith("bias"):
                p.normal_(std=0.1)
    images = torch.randn(batch, *shape)
    labels = torch.randint(0, classes, (batch,))
    logits = model(images)
    loss = F.cross_entropy(logits, labels)
    params = dict(model.named_parameters())
    grads = torch.autograd.grad(loss, list(params.values()))
    tensors = dict(images=images, labels=labels, logits=logits, loss=loss.reshape(1))
    for (n, p), g in zip(params.items(), grads):
        tensors["param__" + n.replace(".", "__")] = p
        tensors["grad__" + n.replace(".", "__")] = g
    fam.case(name, dict(op="model", batch=batch, classes=classes), **tensors)


def vision_family():
    fam = Family("vision")
    # (batch, channels, height, width, out, kernel, stride, padding, dilation, groups, bias)
    convs = [(1, 1, 5, 5, 1, 1, 1, 0, 1, 1, True), (2, 3, 8, 8, 4, 3, 1, 0, 1, 1, True), (2, 3, 8, 8, 4, 3, 1, 1, 1, 1, False),
             (3, 2, 9, 7, 5, 3, 2, 1, 1, 1, True), (2, 4, 10, 10, 6, 3, 1, 2, 2, 1, True), (2, 4, 9, 11, 6, 2, 3, 0, 1, 2, True),
             (1, 6, 7, 7, 6, 3, 1, 1, 1, 6, True), (2, 3, 12, 9, 5, 5, 2, 2, 1, 1, True), (2, 2, 11, 11, 4, 3, 2, 3, 3, 2, False),
             (4, 1, 8, 8, 8, 4, 4, 0, 1, 1, True)]
    for i, (b, c, h, w, o, k, s, p, d, g, bias) in enumerate(convs):
        torch.manual_seed(2000 + i)
        conv = nn.Conv2d(c, o, k, stride=s, padding=p, dilation=d, groups=g, bias=bias)
        x = leaf(b, c, h, w)
        out = conv(x)
        leaves = [x, conv.weight] + ([conv.bias] if bias else [])
        dout, grads = backward(out, *leaves)
        tensors = dict(x=x, weight=conv.weight, out=out, dout=dout, grad__x=grads[0], grad__weight=grads[1])
        if bias:
            tensors.update(bias=conv.bias, grad__bias=grads[2])
        fam.case(f"conv.{i}", dict(op="conv", batch=b, channels=c, height=h, width=w, outChannels=o, kernel=k, stride=s, padding=p,
                                    dilation=d, groups=g, bias=bias), **tensors)
    # (batch, channels, height, width, kernel, stride, padding); stride 0 = the kernel
    pools = [(1, 1, 4, 4, 2, 0, 0), (2, 3, 8, 8, 2, 0, 0), (2, 3, 9, 7, 3, 2, 1), (1, 2, 6, 10, 3, 1, 0), (2, 2, 7, 7, 4, 3, 2),
             (3, 1, 5, 5, 5, 1, 2), (2, 4, 11, 9, 2, 1, 1)]
    for op, fn in [("maxpool", F.max_pool2d), ("avgpool", F.avg_pool2d)]:
        for i, (b, c, h, w, k, s, p) in enumerate(pools):
            torch.manual_seed(2100 + i)
            x = leaf(b, c, h, w)
            out = fn(x, k, stride=s or k, padding=p)
            dout, (dx,) = backward(out, x)
            fam.case(f"{op}.{i}", dict(op=op, batch=b, channels=c, height=h, width=w, kernel=k, stride=s, padding=p),
                     x=x, out=out, dout=dout, grad__x=dx)
    for i, (b, c, h, w) in enumerate([(1, 1, 1, 1), (2, 3, 5, 7), (4, 8, 8, 8)]):
        torch.manual_seed(2200 + i)
        x = leaf(b, c, h, w)
        out = x.mean(dim=(2, 3))
        dout, (dx,) = backward(out, x)
        fam.case(f"globalpool.{i}", dict(op="globalpool", batch=b, channels=c, height=h, width=w), x=x, out=out, dout=dout, grad__x=dx)
    # (batch, length, channels, out, kernel, stride, padding, dilation, groups, bias)
    conv1ds = [(1, 5, 1, 1, 1, 1, 0, 1, 1, True), (2, 9, 3, 4, 3, 1, 1, 1, 1, True), (2, 9, 3, 4, 3, 1, 0, 1, 1, False),
               (3, 11, 2, 5, 4, 2, 1, 1, 1, True), (2, 12, 4, 6, 3, 1, 2, 2, 1, True), (2, 10, 4, 6, 2, 3, 0, 1, 2, True),
               (1, 8, 6, 6, 3, 1, 1, 1, 6, True), (2, 16, 3, 5, 5, 2, 2, 1, 1, True), (2, 13, 2, 4, 3, 2, 3, 3, 2, False),
               (4, 16, 1, 8, 4, 4, 0, 1, 1, True)]
    for i, (b, length, c, o, k, s, p, d, g, bias) in enumerate(conv1ds):
        torch.manual_seed(2400 + i)
        conv = nn.Conv1d(c, o, k, stride=s, padding=p, dilation=d, groups=g, bias=bias)
        x = leaf(b, length, c)
        out = conv(x.transpose(1, 2)).transpose(1, 2)
        leaves = [x, conv.weight] + ([conv.bias] if bias else [])
        dout, grads = backward(out, *leaves)
        tensors = dict(x=x, weight=conv.weight, out=out, dout=dout, grad__x=grads[0], grad__weight=grads[1])
        if bias:
            tensors.update(bias=conv.bias, grad__bias=grads[2])
        fam.case(f"conv1d.{i}", dict(op="conv1d", batch=b, length=length, channels=c, outChannels=o, kernel=k, stride=s, padding=p,
                                      dilation=d, groups=g, bias=bias), **tensors)
    torch.manual_seed(2330)
    model_case(fam, "conv1d_model", SmallConv1d(), 3, (12, 3), 4, 2331)
    torch.manual_seed(2340)
    mixer = SmallMixer()
    with torch.no_grad():  # LayerNorm weights away from 1 so their gradients are tested at a general point
        for n, p in mixer.named_parameters():
            if n.startswith("norm") and n.endswith("weight"):
                p.uniform_(0.5, 1.5)
    model_case(fam, "mixer", mixer, 3, (2, 8, 8), 3, 2341)
    torch.manual_seed(2300)
    model_case(fam, "cnn", SmallCnn(), 4, (1, 8, 8), 5, 2301)
    torch.manual_seed(2310)
    model_case(fam, "cnn_global", SmallGlobalCnn(), 3, (3, 7, 9), 3, 2311)
    torch.manual_seed(2320)
    model_case(fam, "vit", SmallVit(), 3, (2, 8, 6), 4, 2321)
    fam.write()
