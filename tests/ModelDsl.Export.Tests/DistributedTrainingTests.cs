using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using ModelDsl.IO;
using ModelDsl.Optim;
using Xunit.Abstractions;

namespace ModelDsl.Export;

/// <summary>
/// The emitted training script under <c>torchrun</c> with 2 CPU processes (gloo): it starts from ModelDsl's weights, trains on
/// a ModelDsl batch file with DistributedDataParallel, and the weights rank 0 saves load back into ModelDsl and evaluate better.
/// </summary>
public sealed partial class DistributedTrainingTests(ITestOutputHelper output)
{

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [PyTorchFact]
    public void TrainingScript_TwoGlooProcesses_LowersTheLoss_AndItsWeightsLoadInModelDsl()
    {
        using var folder = new TempFolder();
        var model = new SharedTranslator(seed: 40);
        var batches = new List<SharedTranslator.Batch>();
        for (int b = 0; b < 4; b++)
        {
            var batch = new SharedTranslator.Batch();
            ExampleParityTests.FillSeq2Seq(batch.SetSource, batch.SetTarget, batch.SetLabels, [SharedTranslator.SourceLength - b, 3, 1 + b, 5],
                [2 + b, SharedTranslator.TargetLength, 1, 4], SharedTranslator.Vocab);
            batch.Count = 4;
            batches.Add(batch);
        }

        string module = SharedTranslator.WritePyTorch(folder.Path);
        string script = folder.File("train_SharedTranslator.py");
        Assert.True(System.IO.File.Exists(module) && System.IO.File.Exists(script));
        var infos = ParityRun.Infos(SharedTranslator.ParameterTable);
        ParameterFile.Save(folder.File("initial.safetensors"), infos, model.Parameters.Span.ToArray());
        SharedTranslator.WriteBatches(folder.File("batches.safetensors"), [.. batches]);

        // ModelDsl's losses with the initial weights: rank r trains first on batch r, so step 1's mean is that of batches 0 and 1.
        float[] before;
        using (var trainer = model.CreateTrainer(new Sgd(0.1f)))
        {
            before = [.. batches.Select(trainer.Evaluate)];
        }

        // --redirects 1 --tee 1: Debian's torch 1.13 under Python 3.11 cannot parse the default "0" (Std.from_str returns None);
        // rank 0's stdout then comes prefixed with [default0]:.
        var (code, log) = PyTorch.Run(TimeSpan.FromMinutes(5), null, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
            "--master_addr=127.0.0.1", "--master_port=" + FreePort().ToString(CultureInfo.InvariantCulture), "--redirects", "1", "--tee", "1", script,
            "--batches", folder.File("batches.safetensors"), "--init", folder.File("initial.safetensors"), "--out", folder.File("trained.safetensors"),
            "--steps", "40", "--lr", "0.01", "--loss-log", folder.File("losses.txt"));
        output.WriteLine(log);
        Assert.True(code == 0, "torchrun failed (exit " + code + "):\n" + log);
        // The losses come from the file rank 0 writes: with --tee, torchrun's "[default0]:" prefixes can land inside a stdout line.
        var steps = System.IO.File.ReadAllLines(folder.File("losses.txt"))
            .Select(line => float.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(40, steps.Length);

        // Step 1 ran the initial weights: its loss is ModelDsl's, averaged over the two processes' batches. 1e-5 relative: the two
        // losses agree at assert_close's float32 tolerance (ExampleParityTests) and the log prints 9 significant digits.
        float expected = (before[0] + before[1]) / 2;
        Assert.True(Math.Abs(steps[0] - expected) <= 1e-5 * Math.Abs(expected), $"step 1 loss {steps[0]}, ModelDsl {expected}");
        Assert.True(steps[^1] < 0.5f * steps[0], $"the loss did not fall by half: {steps[0]} -> {steps[^1]}"); // each rank's 2 batches memorized

        // The saved weights load into ModelDsl (names and shapes checked) and ModelDsl evaluates them clearly better on every batch
        // (random labels: 40 steps take each batch's loss from 4.8-7.3 to about 2.3-2.6 here; a quarter off is a loose floor).
        var trained = new SharedTranslator(seed: 41);
        ParameterFile.Load(folder.File("trained.safetensors"), infos, trained.Parameters.Span);
        using var evaluator = trained.CreateTrainer(new Sgd(0.1f));
        float[] after = [.. batches.Select(evaluator.Evaluate)];
        output.WriteLine("ModelDsl loss per batch before: " + string.Join(", ", before) + "; after: " + string.Join(", ", after));
        for (int b = 0; b < batches.Count; b++)
        {
            Assert.True(after[b] < 0.75f * before[b], $"batch {b}: ModelDsl loss {before[b]} -> {after[b]} with the trained weights");
        }
    }
}
