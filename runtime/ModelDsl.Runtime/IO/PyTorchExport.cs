using System;
using System.IO;
using System.Text;

namespace ModelDsl.IO;

public static partial class PyTorchExport
{
    /// <summary>
    /// The distributed training script written beside an exported module (the generated <c>PyTorchTrainingScript</c> is a line
    /// <c>MODULE = "Model"</c> followed by this text). It runs under <c>torchrun</c> with <c>DistributedDataParallel</c>: NCCL on CUDA
    /// (one GPU per process) when present, gloo on the CPU otherwise; each process trains on every world-size-th batch of a
    /// batch file (<c>Model.WriteBatches</c>) with AdamW, and rank 0 saves the weights for <c>ParameterFile.Load</c>.
    /// </summary>
    public const string TrainingScript = """"

"""Trains an exported ModelDsl model with PyTorch's DistributedDataParallel (see docs/export.md):

    torchrun --nproc_per_node=2 train_Model.py --batches batches.safetensors --steps 1000 --out trained.safetensors

CUDA (NCCL, one GPU per process) when available, else the CPU (gloo). Each process trains on every world-size-th batch
of the batch file (Model.WriteBatches in C#); DDP averages the gradients. Rank 0 saves the weights under ModelDsl's
parameter names (ParameterFile.Load reads them back) and prints the mean loss of each step over the processes.
Debian's torch 1.13 under Python 3.11 cannot parse torchrun's default --redirects 0: add --redirects 1 --tee 1 there.
"""
import argparse
import importlib.util
import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel


def load_module():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(MODULE, os.path.join(here, MODULE + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser(description="Trains " + MODULE + " with DistributedDataParallel (run under torchrun).")
    parser.add_argument("--batches", required=True, help="batch file written by " + MODULE + ".WriteBatches")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--lr", type=float, default=1e-3, help="AdamW learning rate")
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--clip", type=float, default=0.0, help="global gradient-norm clipping (0: none)")
    parser.add_argument("--init", help="weights to start from (ParameterFile.Save in C#); default: PyTorch's initialization")
    parser.add_argument("--init-state", help="state to start from (BatchNorm running statistics)")
    parser.add_argument("--out", required=True, help="where rank 0 saves the trained weights")
    parser.add_argument("--out-state", help="where rank 0 saves the state (BatchNorm running statistics)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-every", type=int, default=1)
    parser.add_argument("--loss-log", help="file where rank 0 also writes one 'step loss' line per logged step "
                        "(torchrun's --tee can interleave other output with stdout lines)")
    args = parser.parse_args()

    m = load_module()
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device("cuda", local) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(args.seed)
    model = m.create_model()
    if args.init:
        m.load_weights(model, args.init, args.init_state)
    model.to(device)
    ddp = DistributedDataParallel(model, device_ids=[local] if cuda else None)
    optimizer = torch.optim.AdamW(ddp.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    batches = m.read_batches(args.batches)
    mine = batches[rank::world]
    if not mine:
        raise SystemExit(f"rank {rank}: {args.batches} holds {len(batches)} batches, fewer than the {world} processes")

    loss_log = open(args.loss_log, "w", encoding="utf-8") if rank == 0 and args.loss_log else None
    for step in range(args.steps):
        batch = m.batch_to(mine[step % len(mine)], device)
        loss = m.compute_loss(ddp(batch), batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(ddp.parameters(), args.clip)
        optimizer.step()
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        mean /= world
        if rank == 0 and (step % args.log_every == 0 or step == args.steps - 1):
            print(f"step {step + 1} loss {mean.item():.9g}", flush=True)
            if loss_log is not None:
                loss_log.write(f"{step + 1} {mean.item():.9g}\n")

    if loss_log is not None:
        loss_log.close()

    if rank == 0:
        m.save_weights(model, args.out, args.out_state)
        print("saved " + args.out, flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
"""";

    /// <summary>
    /// Writes <c>{moduleName}.py</c> and <c>train_{moduleName}.py</c> into <paramref name="directory"/> (created if missing), each
    /// atomically (a temporary file renamed over the target); returns the module's path.
    /// </summary>
    /// <param name="directory">The folder to write into.</param>
    /// <param name="moduleName">The module's file name without <c>.py</c> (the model's class name).</param>
    /// <param name="moduleSource">The module (a generated model's <c>PyTorchSource</c>).</param>
    /// <param name="trainingScript">The training script (a generated model's <c>PyTorchTrainingScript</c>).</param>
    public static string Write(string directory, string moduleName, string moduleSource, string trainingScript)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(moduleName);
        ArgumentNullException.ThrowIfNull(moduleSource);
        ArgumentNullException.ThrowIfNull(trainingScript);
        Directory.CreateDirectory(directory);
        string module = Path.GetFullPath(Path.Combine(directory, moduleName + ".py"));
        WriteAtomically(module, moduleSource);
        WriteAtomically(Path.GetFullPath(Path.Combine(directory, "train_" + moduleName + ".py")), trainingScript);
        return module;
    }

    internal static void WriteAtomically(string fullPath, string text) =>
        WriteAtomically(fullPath, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text));

    internal static void WriteAtomically(string fullPath, byte[] bytes)
    {
        TemporaryFiles.RemoveStale(fullPath);
        string temporary = TemporaryFiles.For(fullPath);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
                // Best effort: the original error matters more than a leftover temporary file.
            }

            throw;
        }

        TemporaryFiles.FlushDirectory(Path.GetDirectoryName(fullPath)!);
    }
}
