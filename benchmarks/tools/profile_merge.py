#!/usr/bin/env python3
"""Merges `ModelDsl.Benchmarks --profile` outputs into one table per model: a step column and a forward column per input.

    python3 benchmarks/tools/profile_merge.py "before 1T=before.md:1" "after 1T=after.md:1" "after 2T=after.md:2"

Each argument is LABEL=FILE:THREADS (the thread count picks the file's section for that many threads).
"""
import re
import sys


def read(path, threads):
    models, current = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"### (.+), (\d+) thread\(s\)", line)
        if m:
            current = m.group(1) if m.group(2) == threads else None
            if current:
                models[current] = {}
            continue
        m = re.match(r"\| (\S[^|]*?) \| ([\d.-]+) \| [\d.-]+ \| ([\d.-]+) \| [\d.-]+ \|", line)
        if m and current:
            models[current][m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return models


def main():
    inputs = []
    for arg in sys.argv[1:]:
        label, rest = arg.split("=", 1)
        path, threads = rest.rsplit(":", 1)
        inputs.append((label, read(path, threads)))
    names = []
    for _, models in inputs:
        for name in models:
            if name not in names:
                names.append(name)
    for name in names:
        print(f"\n**{name}** (ms per call)\n")
        labels = [label for label, _ in inputs]
        print("| family | " + " | ".join(f"step, {l}" for l in labels) + " | " + " | ".join(f"forward, {l}" for l in labels) + " |")
        print("| --- |" + " ---: |" * (2 * len(labels)))
        families = []
        for _, models in inputs:
            for family in models.get(name, {}):
                if family not in families:
                    families.append(family)
        for family in families:
            steps = [models.get(name, {}).get(family) for _, models in inputs]
            cells = [f"{v[0]:.2f}" if v else "" for v in steps] + [f"{v[1]:.2f}" if v else "" for v in steps]
            print(f"| {family} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
