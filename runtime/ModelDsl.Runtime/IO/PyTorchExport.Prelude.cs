namespace ModelDsl.IO;

/// <summary>The model-independent parts of the PyTorch export (see <c>docs/export.md</c>).</summary>
public static partial class PyTorchExport
{
    /// <summary>
    /// The helpers every exported PyTorch module starts with (a generated model's <c>PyTorchSource</c> is this text followed by
    /// its <c>nn.Module</c>):
    /// Safetensors and batch files without the <c>safetensors</c> package, the masks (ModelDsl's polarity: true = may attend),
    /// attention written out over <c>nn.MultiheadAttention</c>'s parameters (a query with no allowed key gets a zero context, as in
    /// ModelDsl, where PyTorch's own gives NaN), the Transformer layers' forward over <c>nn.TransformerEncoderLayer</c> /
    /// <c>nn.TransformerDecoderLayer</c> submodules, pools, the recurrent encoder over packed sequences and the recurrent decoder loop.
    /// </summary>
    public const string Prelude = """"
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
           "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8, "BOOL": torch.bool}
_NAMES = {torch.float32: "F32", torch.int64: "I64", torch.bool: "BOOL"}


def read_safetensors(path):
    """Reads a safetensors file: returns ({name: tensor}, metadata)."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    base = 8 + length
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        if end > begin:
            tensor = torch.frombuffer(bytearray(data[base + begin:base + end]), dtype=dtype)
        else:
            tensor = torch.empty(0, dtype=dtype)
        tensors[name] = tensor.reshape(info["shape"]).clone()
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes F32, I64 and BOOL tensors as safetensors, atomically (a temporary file renamed over the target)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    temporary = path + "." + str(os.getpid()) + ".tmp"
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def read_batches(path):
    """Reads a ModelDsl batch file (Model.WriteBatches): a list of {name: tensor} dicts, one per batch."""
    tensors, metadata = read_safetensors(path)
    if metadata.get("format") != "modeldsl-batches":
        raise ValueError(path + " is not a ModelDsl batch file (metadata format is not modeldsl-batches)")
    batches = [{} for _ in range(int(metadata["batches"]))]
    for name, tensor in tensors.items():
        index, key = name.split(".", 1)
        batches[int(index)][key] = tensor
    return batches


def parameter_names(model):
    """The names ModelDsl's ParameterTable lists: named_parameters(), where a tied or shared tensor appears once, under its owner."""
    return [name for name, _ in model.named_parameters()]


def state_names(model):
    """The state_dict names of ModelDsl's StateTable (BatchNorm running statistics)."""
    return [name for name in model.state_dict() if name.endswith(".running_mean") or name.endswith(".running_var")]


def load_weights(model, path, state_path=None):
    """Loads a file of ModelDsl's ParameterFile.Save (and a state file: BatchNorm running statistics); names and shapes must match."""
    tensors, _ = read_safetensors(path)
    expected = parameter_names(model)
    if state_path is not None:
        tensors.update(read_safetensors(state_path)[0])
        expected += state_names(model)
    own = model.state_dict()
    missing = [n for n in expected if n not in tensors]
    unexpected = [n for n in tensors if n not in expected]
    shapes = [n for n in expected if n in tensors and tuple(tensors[n].shape) != tuple(own[n].shape)]
    if missing or unexpected or shapes:
        raise ValueError(f"{path}: missing {missing}, unexpected {unexpected}, mis-shaped {shapes}")
    with torch.no_grad():
        for name in expected:
            own[name].copy_(tensors[name].to(own[name].dtype))


def save_weights(model, path, state_path=None):
    """Saves the parameters under their state_dict names (what ParameterFile.Load reads) and, if asked, the state."""
    own = model.state_dict()
    write_safetensors(path, {n: own[n].float() for n in parameter_names(model)}, {"format": "pt"})
    if state_path is not None:
        write_safetensors(state_path, {n: own[n].float() for n in state_names(model)}, {"format": "pt"})


def disable_dropout(model):
    """Turns every dropout of the model off (ModelDsl's trainer with DropoutEnabled = false), keeping training mode."""
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0
        if isinstance(module, nn.MultiheadAttention):
            module.dropout = 0.0


def batch_to(batch, device):
    return {k: v.to(device) for k, v in batch.items()}


def identity(x):
    return x


def gelu_tanh(x):
    return F.gelu(x, approximate="tanh")


def leaky_relu(x):
    return F.leaky_relu(x, 0.01)


ACTIVATIONS = {0: identity, 1: F.relu, 2: F.gelu, 3: gelu_tanh, 4: torch.tanh, 5: torch.sigmoid, 6: leaky_relu}


def valid_positions(lengths, t):
    """[B, t] bool: the positions below each row's length."""
    return torch.arange(t, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def allowed_mask(lengths, tq, tk, causal=False, key_padding=False, radius=0, adjacency=None):
    """[B, tq, tk] bool, true = the query may attend to the key (ModelDsl's polarity; PyTorch's masks are the opposite)."""
    i = torch.arange(tq, device=lengths.device).unsqueeze(1)
    j = torch.arange(tk, device=lengths.device).unsqueeze(0)
    allowed = torch.ones(lengths.shape[0], tq, tk, dtype=torch.bool, device=lengths.device)
    if causal:
        allowed = allowed & (j <= i)
    if radius > 0:
        allowed = allowed & ((i - j).abs() <= radius)
    if key_padding:
        allowed = allowed & (j.unsqueeze(0) < lengths.view(-1, 1, 1))
    if adjacency is not None:
        allowed = allowed & adjacency
    return allowed


def attend(mha, query, memory, allowed):
    """nn.MultiheadAttention's forward (batch_first) over its own parameters under a [B, Tq, Tk] mask; a query with no allowed
    key gets a zero context (its output is out_proj's bias) and zero gradients, as in ModelDsl."""
    b, tq, d = query.shape
    tk = memory.shape[1]
    h = mha.num_heads
    hd = d // h
    w, bias = mha.in_proj_weight, mha.in_proj_bias
    q = F.linear(query, w[:d], bias[:d]).view(b, tq, h, hd).transpose(1, 2)
    k = F.linear(memory, w[d:2 * d], bias[d:2 * d]).view(b, tk, h, hd).transpose(1, 2)
    v = F.linear(memory, w[2 * d:], bias[2 * d:]).view(b, tk, h, hd).transpose(1, 2)
    empty = (~allowed.any(dim=-1))[:, None, :, None]
    scores = ((q / math.sqrt(hd)) @ k.transpose(-2, -1)).masked_fill(~allowed.unsqueeze(1), float("-inf"))
    probs = torch.softmax(scores.masked_fill(empty, 0.0), dim=-1).masked_fill(empty, 0.0)
    probs = F.dropout(probs, mha.dropout, mha.training)
    return mha.out_proj((probs @ v).transpose(1, 2).reshape(b, tq, d))


def feed_forward(layer, x, dropout):
    return dropout(layer.linear2(layer.dropout(layer.activation(layer.linear1(x)))))


def encoder_layer(layer, x, allowed):
    """nn.TransformerEncoderLayer's forward (post-norm, or pre-norm when norm_first) with attend()."""
    if layer.norm_first:
        n = layer.norm1(x)
        x = x + layer.dropout1(attend(layer.self_attn, n, n, allowed))
        return x + feed_forward(layer, layer.norm2(x), layer.dropout2)
    x = layer.norm1(x + layer.dropout1(attend(layer.self_attn, x, x, allowed)))
    return layer.norm2(x + feed_forward(layer, x, layer.dropout2))


def decoder_layer(layer, x, allowed, memory, memory_allowed):
    """nn.TransformerDecoderLayer's forward (post-norm, or pre-norm when norm_first) with attend()."""
    if layer.norm_first:
        n = layer.norm1(x)
        x = x + layer.dropout1(attend(layer.self_attn, n, n, allowed))
        x = x + layer.dropout2(attend(layer.multihead_attn, layer.norm2(x), memory, memory_allowed))
        return x + feed_forward(layer, layer.norm3(x), layer.dropout3)
    x = layer.norm1(x + layer.dropout1(attend(layer.self_attn, x, x, allowed)))
    x = layer.norm2(x + layer.dropout2(attend(layer.multihead_attn, x, memory, memory_allowed)))
    return layer.norm3(x + feed_forward(layer, x, layer.dropout3))


def transformer_stack(stack, x, allowed, memory=None, memory_allowed=None):
    """nn.TransformerEncoder / nn.TransformerDecoder: the layers, then the final norm of a pre-norm stack."""
    for layer in stack.layers:
        if memory is None:
            x = encoder_layer(layer, x, allowed)
        else:
            x = decoder_layer(layer, x, allowed, memory, memory_allowed)
    return x if stack.norm is None else stack.norm(x)


def sinusoid_table(length, d):
    """The 2017 sin/cos table as ModelDsl fills it: angles and sin/cos in float64, then rounded to float32."""
    pos = torch.arange(length, dtype=torch.float64).unsqueeze(1)
    even = torch.arange(0, d, 2, dtype=torch.float64)
    angle = pos / torch.pow(torch.tensor(10000.0, dtype=torch.float64), even / d)
    pe = torch.zeros(length, d, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)[:, : d // 2]
    return pe.float()


def mean_pool(x, lengths):
    keep = valid_positions(lengths, x.shape[1]).unsqueeze(-1).to(x.dtype)
    return (x * keep).sum(dim=1) / lengths.unsqueeze(1).to(x.dtype)


def last_pool(x, lengths):
    return x[torch.arange(x.shape[0], device=x.device), lengths - 1]


def final_state_pool(x, lengths, directions):
    """h_n's layout: the forward half at the last valid position, the reverse half at position 0."""
    last = last_pool(x, lengths)
    if directions == 1:
        return last
    half = x.shape[-1] // 2
    return torch.cat([last[:, :half], x[:, 0, half:]], dim=-1)


def batch_norm(norm, x, lengths=None):
    """nn.BatchNorm1d over the last dimension; on a sequence only the valid positions count and padding gives 0."""
    if lengths is None:
        return norm(x)
    valid = valid_positions(lengths, x.shape[1]).unsqueeze(-1)
    return torch.zeros_like(x).masked_scatter(valid, norm(x.masked_select(valid).view(-1, x.shape[-1])))


def prelu(weight, x):
    """PReLU over the last dimension (one slope, or one per channel of the last dimension)."""
    return torch.where(x > 0, x, weight * x)


def recurrent_encoder(rnn, x, lengths, cell=False):
    """nn.RNN / nn.GRU / nn.LSTM over the packed valid positions: the padded outputs [B, T, H * directions] (zero at padding)
    and the last layer's final state [B, H * directions] (torch.cat([h_n[-2], h_n[-1]], -1) when bidirectional); with
    cell=True (nn.LSTM, a decoder with CellFromEncoder) also the last layer's final cell from c_n the same way."""
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, state = rnn(packed)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    h_n = state[0] if isinstance(rnn, nn.LSTM) else state

    def last(n):
        return torch.cat([n[-2], n[-1]], dim=-1) if rnn.bidirectional else n[-1]

    return (out, last(h_n), last(state[1])) if cell else (out, last(h_n))


def recurrent_decoder(cell, attention, x, lengths, memory, memory_lengths, final, final_cell=None):
    """ModelDsl's [RecurrentDecoder], teacher-forced: from s0 = final (or tanh(bridge(final))) and c0 = final_cell (the
    encoder's final cell, CellFromEncoder) or 0 (LSTM), per position t
      None:         s_t = cell(x_t, s_t-1); o_t = s_t
      Bahdanau:     e_j = v . tanh(W s_t-1 + U h_j); c_t = softmax(e) . h; s_t = cell([x_t; c_t], s_t-1); o_t = [s_t; c_t]
      LuongDot:     s_t = cell(x_t, s_t-1); e_j = s_t . h_j; o_t = tanh(W_c [c_t; s_t])
      LuongGeneral: as LuongDot with e_j = s_t . (W_a h_j)
      LuongConcat:  as LuongDot with e_j = v . tanh(W s_t + U h_j)
    A padded position keeps the state and outputs zeros; padded memory positions get no weight."""
    lstm = isinstance(cell, nn.LSTMCell)
    state = torch.tanh(cell.bridge(final)) if hasattr(cell, "bridge") else final
    cell_state = (final_cell if final_cell is not None else torch.zeros_like(state)) if lstm else None
    padded = ~valid_positions(memory_lengths, memory.shape[1])
    if attention == "Bahdanau":
        projected = memory @ cell.attention.memory_weight.T
    elif attention == "LuongGeneral":
        keys = memory @ cell.attention.memory_weight.T
    elif attention == "LuongDot":
        keys = memory
    elif attention == "LuongConcat":
        projected = memory @ cell.attention.memory_weight.T

    def context_of(scores):
        weights = torch.softmax(scores.masked_fill(padded, float("-inf")), dim=-1)
        return (weights.unsqueeze(-1) * memory).sum(dim=1)

    outputs = []
    for step in range(x.shape[1]):
        valid = (step < lengths).unsqueeze(1)
        step_input = x[:, step]
        if attention == "Bahdanau":
            scores = torch.tanh((state @ cell.attention.state_weight.T).unsqueeze(1) + projected) @ cell.attention.score.reshape(-1)
            context = context_of(scores)
            step_input = torch.cat([step_input, context], dim=-1)
        if lstm:
            new_state, new_cell = cell(step_input, (state, cell_state))
            cell_state = torch.where(valid, new_cell, cell_state)
        else:
            new_state = cell(step_input, state)
        state = torch.where(valid, new_state, state)
        if attention == "Bahdanau":
            out = torch.cat([new_state, context], dim=-1)
        elif attention == "None":
            out = new_state
        else:
            if attention == "LuongConcat":
                scores = torch.tanh((new_state @ cell.attention.state_weight.T).unsqueeze(1) + projected) @ cell.attention.score.reshape(-1)
            else:
                scores = (new_state.unsqueeze(1) * keys).sum(dim=-1)
            context = context_of(scores)
            out = torch.tanh(torch.cat([context, new_state], dim=-1) @ cell.attention.combine_weight.T)
        outputs.append(torch.where(valid, out, torch.zeros_like(out)))
    return torch.stack(outputs, dim=1)


def cross_entropy(logits, labels, ignore_index, label_smoothing):
    """Mean cross-entropy over the labels that are not ignore_index (ModelDsl's CrossEntropyLoss)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                           ignore_index=ignore_index, label_smoothing=label_smoothing)


def mean_squared_error(predictions, targets, lengths=None):
    """F.mse_loss (mean over every element); on a sequence over the valid positions only (ModelDsl's MseLoss)."""
    if lengths is None:
        return F.mse_loss(predictions, targets)
    valid = valid_positions(lengths, predictions.shape[1])
    return F.mse_loss(predictions[valid], targets[valid])
"""";
}
