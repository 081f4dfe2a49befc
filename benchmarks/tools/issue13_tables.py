#!/usr/bin/env python3
"""Issue 13's comparison table from the BenchmarkDotNet logs of benchmarks/tools/issue13.sh and the PyTorch peers' output.

    python3 benchmarks/tools/issue13_tables.py OUT_DIR

One row per model and operation: ModelDsl's median on the AVX-512 and the AVX2 path (1 and 2 threads), the StdDev as a
share of the mean, the 2-thread/1-thread ratio, bytes allocated per operation, and the PyTorch 1-thread median with the
speed-up over it (AVX-512 path, 1 thread). PyTorch forwards are the eval-mode ones.
"""
import os
import re
import sys

UNITS = {"ns": 1e-9, "us": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0}


def seconds(value, unit):
    return float(value.replace(",", "")) * UNITS[unit]


def read_bdn(path):
    cases, current = {}, None
    allocated = {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip()
        m = re.match(r"// Benchmark: (\w+)\.(\w+): .*?\) \[(.*)\]$", line)
        if m:
            current = (m.group(1), m.group(2), m.group(3))
            continue
        m = re.match(r"Mean = ([\d.,]+) (\S+), StdErr = .*StdDev = ([\d.,]+) (\S+)$", line)
        if m and current:
            cases.setdefault(current, {})["mean"] = seconds(m.group(1), m.group(2))
            cases[current]["stddev"] = seconds(m.group(3), m.group(4))
            continue
        m = re.search(r"Median = ([\d.,]+) (\S+),", line)
        if m and current:
            cases.setdefault(current, {})["median"] = seconds(m.group(1), m.group(2))
            current = None
    # Summary tables, one per class: | Method | [Model |] Threads | ... | Allocated |; the class is told by its columns and methods.
    tables, header = [], None
    for line in open(path, encoding="utf-8"):
        if line.startswith("| Method"):
            header = [c.strip() for c in line.strip().strip("|").split("|")]
            tables.append((header, []))
            continue
        if header and line.startswith("|") and not line.startswith("|--"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            tables[-1][1].append(dict(zip(header, cells)))
        elif header and not line.startswith("|"):
            header = None
    for header, rows in tables:
        methods = {row.get("Method") for row in rows}
        for row in rows:
            if "Model" in header:
                name = full_model(row["Model"])
            elif "Greedy" in methods:
                name = "DateTranslator B64"
            else:
                name = "GRU + Bahdanau B32"
            allocated[(row.get("Method"), name, row.get("Threads"))] = row.get("Allocated", "")
    return cases, allocated


def peers(out):
    table = {}
    path = os.path.join(out, "torch-models.md")
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            m = re.match(r"\| (.+?) \| ([\d.]+) ms \| ([\d.]+) ms \| ([\d.]+) ms \|", line)
            if m:
                table[(m.group(1), "Step")] = float(m.group(2)) * 1e-3
                table[(m.group(1), "Forward")] = min(float(m.group(3)), float(m.group(4))) * 1e-3
    path = os.path.join(out, "torch-gru.md")
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            m = re.match(r"\| seq2seq .* \| ([\d.]+) ms \| ([\d.]+) ms \|", line)
            if m:
                table[("GRU + Bahdanau B32", "Step")] = float(m.group(1)) * 1e-3
                table[("GRU + Bahdanau B32", "Forward")] = float(m.group(2)) * 1e-3
    path = os.path.join(out, "torch-seq2seq-1t.md")
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            m = re.match(r"\| (.+?) \| ([\d.]+) ms \|", line)
            if m:
                name = m.group(1).lower()
                value = float(m.group(2)) * 1e-3
                if name.startswith("step"):
                    table[("DateTranslator B64", "Step")] = value
                elif name.startswith("forward"):
                    key = ("DateTranslator B64", "Evaluate")
                    table[key] = min(table.get(key, value), value)
                elif name.startswith("greedy"):
                    key = ("DateTranslator B64", "Greedy")
                    table[key] = min(table.get(key, value), value)
    return table


MODELS = ["Classifier B16 T32 D64 H4", "Classifier B16 T64 D128 H4", "Classifier B8 T128 D256 H8", "GPT B8 T64 D128 H4 L4"]


def full_model(text):
    """BenchmarkDotNet shortens long parameter values ('Class(...)28 H4 [26]'): match the visible ends."""
    text = re.sub(r" \[\d+\]$", "", text.strip())
    if "(...)" not in text:
        return text
    head, tail = text.split("(...)", 1)
    for model in MODELS:
        if model.startswith(head) and model.endswith(tail):
            return model
    return text


def name_of(cls, params):
    m = re.search(r"Model=(.+?), Threads=", params)
    if cls == "ModelBenchmarks" and m:
        return full_model(m.group(1))
    if cls == "Seq2SeqBenchmarks":
        return "DateTranslator B64"
    if cls == "RecurrentSeq2SeqBenchmarks":
        return "GRU + Bahdanau B32"
    return cls


def threads_of(params):
    m = re.search(r"Threads=(\d+)", params)
    return m.group(1) if m else "1"


def fmt(s):
    return "" if s is None else (f"{s * 1e3:.2f} ms" if s >= 1e-3 else f"{s * 1e6:.1f} µs")


def main():
    out = sys.argv[1]
    paths = {}
    for path in ("avx512", "avx2"):
        log = os.path.join(out, f"bdn-{path}.log")
        if os.path.exists(log):
            paths[path] = read_bdn(log)
    torch = peers(out)
    keys = []
    for cases, _ in paths.values():
        for (cls, method, params) in cases:
            key = (name_of(cls, params), method)
            if key not in keys:
                keys.append(key)
    print("| model | op | path | 1T median | 1T StdDev/mean | 2T median | 2T/1T | alloc 1T / 2T | PyTorch 1T | speed-up 1T |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    for name, method in keys:
        for path, (cases, allocated) in paths.items():
            one = two = None
            alloc = []
            for (cls, m, params), v in cases.items():
                if m != method or name_of(cls, params) != name:
                    continue
                if threads_of(params) == "1":
                    one = v
                else:
                    two = v
            for t in ("1", "2"):
                alloc.append(allocated.get((method, name, t), "?"))
            peer = torch.get((name, method))
            spread = f"{100 * one['stddev'] / one['mean']:.1f}%" if one and "stddev" in one else ""
            ratio = f"{one['median'] / two['median']:.2f}x" if one and two else ""
            speed = f"{peer / one['median']:.2f}x" if one and peer else ""
            print(f"| {name} | {method} | {path} | {fmt(one and one.get('median'))} | {spread} | {fmt(two and two.get('median'))} | {ratio} | "
                  f"{alloc[0]} / {alloc[1]} | {fmt(peer)} | {speed} |")


if __name__ == "__main__":
    main()
