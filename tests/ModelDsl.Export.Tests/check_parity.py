#!/usr/bin/python3
"""Checks an exported ModelDsl module against ModelDsl's own results (tests/ModelDsl.Export.Tests).

    check_parity.py MODULE.py WEIGHTS STATE|- BATCHES MODELDSL

Loads ModelDsl's weights (and state) into the exported module, runs the first batch of the batch file in training
mode with dropout off, backpropagates compute_loss, and compares with torch.testing.assert_close at its float32
defaults (rtol 1.3e-6, atol 1e-5), PyTorch as the expected side: the loss, the head's output, every parameter gradient
(ModelDsl's "grad.<name>", one per tensor that owns storage, as named_parameters lists them) and, when ModelDsl wrote
"state.<name>", the state after the pass (BatchNorm running statistics). Prints one line per tensor; exits 1 on any
mismatch or on a parameter gradient that only one side has.
"""
import importlib.util
import sys

import torch


def main():
    module_path, weights, state, batches, modeldsl = sys.argv[1:6]
    spec = importlib.util.spec_from_file_location("exported", module_path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    torch.manual_seed(0)
    model = m.create_model()
    m.load_weights(model, weights, None if state == "-" else state)
    model.train()
    m.disable_dropout(model)
    batch = m.read_batches(batches)[0]
    output = model(batch)
    loss = m.compute_loss(output, batch)
    loss.backward()
    actual, _ = m.read_safetensors(modeldsl)

    failures = []

    def compare(name, expected, got):
        try:
            torch.testing.assert_close(got.reshape(-1), expected.detach().reshape(-1).float())
            worst = ((got.reshape(-1) - expected.detach().reshape(-1)).abs()
                     / (1e-5 + 1.3e-6 * expected.detach().reshape(-1).abs())).max().item() if expected.numel() else 0.0
            print(f"ok   {name} {list(expected.shape)} worst {worst:.3f} of the tolerance")
        except AssertionError as e:
            failures.append(name)
            print(f"FAIL {name} {list(expected.shape)}: {e}")

    compare("loss", loss.reshape(1), actual.pop("loss"))
    compare("output", output, actual.pop("output"))
    for name, parameter in model.named_parameters():
        key = "grad." + name
        if key not in actual:
            failures.append(key)
            print(f"FAIL {key}: ModelDsl wrote no gradient for it")
            continue
        grad = parameter.grad if parameter.grad is not None else torch.zeros_like(parameter)
        compare(key, grad, actual.pop(key))
    own = model.state_dict()
    for key in [k for k in actual if k.startswith("state.")]:
        compare(key, own[key[len("state."):]], actual.pop(key))
    for key in actual:
        failures.append(key)
        print(f"FAIL {key}: ModelDsl wrote it but the module has no such tensor")
    if failures:
        print(f"{len(failures)} mismatches: {', '.join(failures)}")
        sys.exit(1)
    print("all equal at assert_close defaults")


if __name__ == "__main__":
    main()
