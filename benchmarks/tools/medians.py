#!/usr/bin/env python3
"""Prints one markdown row per benchmark case from a BenchmarkDotNet console log: its parameters,
median, and (for GEMM shapes 'MxNxK ..') GFLOP/s at the median and the 2-thread/1-thread ratio.

    python3 benchmarks/tools/medians.py bench.log
"""
import re
import sys

UNITS = {"ns": 1e-9, "us": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0}
rows, current = [], None
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"// Benchmark: (\S+): .*?\) \[(.*)\]$", line.rstrip())
    if m:
        current = (m.group(1), m.group(2))
        continue
    m = re.search(r"Median = ([\d.,]+) (\S+),", line)
    if m and current:
        seconds = float(m.group(1).replace(",", "")) * UNITS[m.group(2)]
        rows.append((current[0], current[1], seconds))
        current = None

medians = {(name, params): s for name, params, s in rows}
print("| benchmark | parameters | median | GFLOP/s | 2 threads / 1 thread |")
print("| --- | --- | ---: | ---: | ---: |")
for name, params, seconds in rows:
    gflops, ratio = "", ""
    shape = re.search(r"Shape=(\d+)x(\d+)x(\d+)", params)
    if shape:
        m_, n_, k_ = map(int, shape.groups())
        gflops = f"{2 * m_ * n_ * k_ / seconds / 1e9:.1f}"
    if "Threads=2" in params:
        single = medians.get((name, params.replace("Threads=2", "Threads=1")))
        if single:
            ratio = f"{single / seconds:.2f}x"
    text = f"{seconds * 1e6:,.1f} µs" if seconds < 1e-2 else f"{seconds * 1e3:,.2f} ms"
    print(f"| {name} | {params} | {text} | {gflops} | {ratio} |")
