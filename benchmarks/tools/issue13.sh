#!/usr/bin/env bash
# Issue 13's measurements in one go, for a quiet machine: the kernel-family profiles, the model benchmarks on the
# AVX-512 path and on the AVX2 path (DOTNET_EnableAVX512=0), and the PyTorch peers, all in one session.
#   bash benchmarks/tools/issue13.sh OUT_DIR [BEFORE_BENCHMARKS_DLL]
# BEFORE_BENCHMARKS_DLL: a ModelDsl.Benchmarks.dll built from an older commit, profiled first for a before/after table.
set -uo pipefail
out=${1:?output directory}
before=${2:-}
mkdir -p "$out"
cd "$(dirname "$0")/.."
dll=ModelDsl.Benchmarks/bin/Release/net10.0/ModelDsl.Benchmarks.dll
bdn=(--inProcess --launchCount 1 --warmupCount 5 --iterationCount 10 --iterationTime 250)

{ date -u; uptime; lscpu | grep -E 'Model name|^CPU\(s\)|Flags'; dotnet --version; } > "$out/host.txt"
if [ -n "$before" ]; then
  dotnet "$before" --profile 60 1 > "$out/profile-before-1t.md"
fi
dotnet "$dll" --profile 60 1,2 > "$out/profile-after.md"
DOTNET_EnableAVX512=0 dotnet "$dll" --profile 60 1 > "$out/profile-after-avx2-1t.md"
uptime >> "$out/host.txt"
for path in avx512 avx2; do
  if [ "$path" = avx2 ]; then export DOTNET_EnableAVX512=0; else unset DOTNET_EnableAVX512; fi
  dotnet "$dll" --filter '*ModelBenchmarks*' '*Seq2SeqBenchmarks*' "${bdn[@]}" > "$out/bdn-$path.log" 2>&1
  uptime >> "$out/host.txt"
done
unset DOTNET_EnableAVX512
/usr/bin/python3 peers/torch_models.py > "$out/torch-models.md" 2>&1
/usr/bin/python3 peers/torch_seq2seq_models.py 1 > "$out/torch-seq2seq-1t.md" 2>&1
/usr/bin/python3 peers/torch_seq2seq.py > "$out/torch-gru.md" 2>&1
{ date -u; uptime; } >> "$out/host.txt"
