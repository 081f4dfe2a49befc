using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using ModelDsl.IO;

namespace ModelDsl.Export;

/// <summary>
/// Debian's PyTorch (<c>/usr/bin/python3</c> with <c>torch</c>), which <c>.ci/run</c> installs when it can; <c>MODELDSL_PYTHON</c>
/// names another interpreter.
/// </summary>
internal static class PyTorch
{
    public static readonly string Python = Environment.GetEnvironmentVariable("MODELDSL_PYTHON") is { Length: > 0 } python ? python : "/usr/bin/python3";

    private static readonly Lazy<string?> Missing = new(() =>
    {
        try
        {
            var result = Run(TimeSpan.FromMinutes(2), null, "-c", "import torch; print(torch.__version__)");
            return result.ExitCode == 0 ? null : "'import torch' failed: " + result.Output.Trim();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return Python + " cannot run: " + e.Message;
        }
    });

    /// <summary>Why PyTorch tests cannot run here, or null when they can.</summary>
    public static string? Unavailable => Missing.Value;

    /// <summary>Runs python with <paramref name="arguments"/>; returns its exit code and its stdout and stderr together.</summary>
    public static (int ExitCode, string Output) Run(TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        return RunProgram(Python, timeout, environment, arguments);
    }

    public static (int ExitCode, string Output) RunProgram(string program, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // One thread per process: the machine is shared, and fixed reduction orders keep runs comparable.
        start.Environment["OMP_NUM_THREADS"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + program);
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} ran longer than {timeout}:\n{stdout}");
        }

        return (process.ExitCode, stdout + stderr.Result);
    }
}

/// <summary>A fact that needs PyTorch: skipped, with the reason in the test report, where <c>import torch</c> fails.</summary>
public sealed class PyTorchFactAttribute : FactAttribute
{
    public PyTorchFactAttribute()
    {
        if (PyTorch.Unavailable is { } reason)
        {
            Skip = "SKIPPED: PyTorch is not available (" + reason + "); .ci/run installs Debian's python3-torch when it can.";
            Console.Error.WriteLine("ModelDsl.Export.Tests: " + Skip);
        }
    }
}

/// <summary>A unique folder under the temp directory, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("modeldsl-export-" + Guid.NewGuid().ToString("N") + "-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>
/// One model against its exported module: the model's weights and state go to safetensors (ParameterFile), its batch to a
/// batch file (the generated WriteBatches), its loss, head output, gradients and state after the pass to a results file;
/// check_parity.py loads the weights into the module, runs the batch and compares at assert_close's defaults.
/// </summary>
internal sealed class ParityRun : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly IReadOnlyList<ParameterEntry> _parameters;
    private readonly IReadOnlyList<ParameterEntry> _state;
    private readonly string _module;

    public ParityRun(Func<string, string> writePyTorch, IReadOnlyList<ParameterEntry> parameters, IReadOnlyList<ParameterEntry> state,
        ReadOnlyMemory<float> parameterBlock, ReadOnlyMemory<float> stateBlock)
    {
        _parameters = parameters;
        _state = state;
        _module = writePyTorch(_folder.Path);
        ParameterFile.Save(_folder.File("weights.safetensors"), Infos(parameters), parameterBlock);
        if (state.Count > 0)
        {
            ParameterFile.Save(_folder.File("state.safetensors"), Infos(state), stateBlock);
        }
    }

    public string Batches => _folder.File("batches.safetensors");

    public static ParameterInfo[] Infos(IReadOnlyList<ParameterEntry> table) => [.. table.Select(e => new ParameterInfo(e.Name, e.Offset, [.. e.Shape]))];

    /// <summary>Writes ModelDsl's results and runs check_parity.py; fails with its report unless every tensor is equal.</summary>
    public string Check(float loss, ReadOnlySpan<float> output, ReadOnlySpan<float> gradients, ReadOnlySpan<float> stateAfter)
    {
        var tensors = new List<NamedTensor>
        {
            new("loss", [1], new[] { loss }),
            new("output", [output.Length], output.ToArray()),
        };
        var owners = new HashSet<int>();
        foreach (var entry in _parameters)
        {
            // A tied tensor shares its owner's storage: PyTorch's named_parameters lists it once, under the owner's name.
            if (owners.Add(entry.Offset))
            {
                tensors.Add(new NamedTensor("grad." + entry.Name, [entry.Length], gradients.Slice(entry.Offset, entry.Length).ToArray()));
            }
        }

        foreach (var entry in _state)
        {
            tensors.Add(new NamedTensor("state." + entry.Name, [entry.Length], stateAfter.Slice(entry.Offset, entry.Length).ToArray()));
        }

        string results = _folder.File("modeldsl.safetensors");
        SafeTensorsWriter.Write(results, tensors);
        string script = Path.Combine(AppContext.BaseDirectory, "check_parity.py");
        var (code, report) = PyTorch.Run(TimeSpan.FromMinutes(5), null, script, _module, _folder.File("weights.safetensors"),
            _state.Count > 0 ? _folder.File("state.safetensors") : "-", Batches, results);
        Assert.True(code == 0, "check_parity.py failed (exit " + code + "):\n" + report);
        Assert.Contains("all equal at assert_close defaults", report, StringComparison.Ordinal);
        return report;
    }

    public void Dispose() => _folder.Dispose();
}
