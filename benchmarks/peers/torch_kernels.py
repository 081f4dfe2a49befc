#!/usr/bin/python3
"""PyTorch peer for the kernel benchmarks: median time of torch.mm (and a LayerNorm) on the shapes
GemmBenchmarks / NormalizationBenchmarks use, with 1 and 2 threads. Run with Debian's PyTorch:

    /usr/bin/python3 benchmarks/peers/torch_kernels.py
"""
import statistics
import time

import torch

SHAPES = ["64x64x64 NN", "128x128x128 NN", "256x256x256 NN", "512x512x512 NN", "1024x1024x1024 NN",
          "1024x384x128 NT", "1024x512x128 NT", "1024x128x512 NT", "512x128x1024 TN",
          "1024x768x256 NT", "1024x1024x256 NT", "1024x256x1024 NT", "1024x256x1024 TN"]


def median_seconds(fn, min_time=0.3, repeats=8):
    fn()
    calls = 1
    while True:  # calls per sample so that one sample takes >= min_time / repeats
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - start >= min_time / repeats:
            break
        calls *= 2
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def main():
    print(f"torch {torch.__version__}, {torch.__config__.parallel_info().splitlines()[0]}")
    print("| benchmark | parameters | median | GFLOP/s | 2 threads / 1 thread |")
    print("| --- | --- | ---: | ---: | ---: |")
    torch.manual_seed(0)
    for shape in SHAPES:
        dims, layout = shape.split()
        m, n, k = map(int, dims.split("x"))
        a = torch.randn(k, m).t() if layout[0] == "T" else torch.randn(m, k)
        b = torch.randn(n, k).t() if layout[1] == "T" else torch.randn(k, n)
        c = torch.empty(m, n)
        single = None
        for threads in (1, 2):
            torch.set_num_threads(threads)
            seconds = median_seconds(lambda: torch.mm(a, b, out=c))
            ratio = f"{single / seconds:.2f}x" if single else ""
            single = single or seconds
            print(f"| torch.mm | Shape={shape}, Threads={threads} | {seconds * 1e6:,.1f} µs | {2 * m * n * k / seconds / 1e9:.1f} | {ratio} |")
    for width in (128, 256, 768):
        x = torch.randn(1024, width)
        ln = torch.nn.LayerNorm(width)
        with torch.no_grad():
            for threads in (1, 2):
                torch.set_num_threads(threads)
                seconds = median_seconds(lambda: ln(x))
                print(f"| LayerNorm forward | Rows=1024, Width={width}, Threads={threads} | {seconds * 1e6:,.1f} µs | | |")


if __name__ == "__main__":
    main()
