using System;
using System.IO;
using System.Linq;
using ModelDsl.IO;
using ModelDsl.Optim;

namespace ModelDsl.Tests.IO;

/// <summary>
/// Temporary files of killed saves: the next save or load of the same target removes them; nothing else is touched.
/// (tests/ModelDsl.Runtime.Tests/IO/kill-test.sh checks the same against real SIGKILLed saves.)
/// </summary>
public sealed class TemporaryFileTests : IDisposable
{
    /// <summary>A process id no process has: above Linux's pid_max (at most 2^22) and not a multiple of 4 (Windows).</summary>
    private const int DeadProcess = int.MaxValue;

    private static readonly ParameterInfo[] Layout = [new("w", 0, [2])];
    private readonly string _folder = Directory.CreateTempSubdirectory("modeldsl-temporary-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Target => Path.Combine(_folder, "model.safetensors");

    /// <summary>A file named as a save of <paramref name="target"/> by process <paramref name="processId"/> names its temporary file.</summary>
    private string Leftover(string target, int processId = DeadProcess)
    {
        string path = Path.Combine(_folder, $".{target}.{processId}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(path, [1, 2, 3]);
        return path;
    }

    private string[] Files() => Directory.GetFiles(_folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void Save_RemovesTheLeftoverTemporaryFilesOfItsTarget()
    {
        Leftover("model.safetensors");
        Leftover("model.safetensors");
        ParameterFile.Save(Target, Layout, new float[2]);
        Assert.Equal(["model.safetensors"], Files());
    }

    [Fact]
    public void ParameterFileLoad_RemovesTheLeftoverTemporaryFilesOfItsTarget()
    {
        ParameterFile.Save(Target, Layout, new float[] { 1f, 2f });
        Leftover("model.safetensors");
        var block = new float[2];
        ParameterFile.Load(Target, Layout, block);
        Assert.Equal([1f, 2f], block);
        Assert.Equal(["model.safetensors"], Files());
    }

    [Fact]
    public void CheckpointLoad_RemovesTheLeftoverTemporaryFilesOfItsTarget()
    {
        Checkpoint.Save(Target, Layout, new float[2], nameof(Sgd), new float[1], new TrainingPosition(1, 2, 3));
        Leftover("model.safetensors");
        Checkpoint.Load(Target, Layout, new float[2], nameof(Sgd), new float[1]);
        Assert.Equal(["model.safetensors"], Files());
    }

    [Fact]
    public void Load_OfAMissingFile_StillRemovesTheLeftovers()
    {
        Leftover("model.safetensors");
        Assert.Throws<FileNotFoundException>(() => ParameterFile.Load(Target, Layout, new float[2]));
        Assert.Empty(Files());
    }

    [Fact]
    public void Save_LeavesEveryOtherFileAlone()
    {
        string[] others =
        [
            // Another target's temporary files, including targets whose names start like this one's.
            Path.GetFileName(Leftover("other.safetensors")),
            Path.GetFileName(Leftover("model.safetensors.bak")),
            Path.GetFileName(Leftover("model")),
            // Near misses of the pattern.
            $".model.safetensors.{DeadProcess}.{Guid.NewGuid():N}.tmp.keep",
            $".model.safetensors.{DeadProcess}.{Guid.NewGuid():N}x.tmp",
            $".model.safetensors.pid.{Guid.NewGuid():N}.tmp",
            $".model.safetensors..{Guid.NewGuid():N}.tmp",
            $".model.safetensors.{DeadProcess}.{Guid.NewGuid():D}.tmp",
            $"model.safetensors.{DeadProcess}.{Guid.NewGuid():N}.tmp",
            "model.safetensors.tmp",
            "notes.txt",
        ];
        foreach (string name in others)
        {
            File.WriteAllBytes(Path.Combine(_folder, name), [7]);
        }

        ParameterFile.Save(Target, Layout, new float[2]);
        Assert.Equal([.. others.Append("model.safetensors").Order(StringComparer.Ordinal)], Files());
    }

    [Fact]
    public void Save_LeavesTheTemporaryFilesOfRunningSavesAlone()
    {
        // One named by this process (another thread's save in progress) and one held open exclusively, as a writer holds its file.
        string own = Path.GetFileName(Leftover("model.safetensors", Environment.ProcessId));
        string held = Leftover("model.safetensors");
        using (new FileStream(held, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            ParameterFile.Save(Target, Layout, new float[2]);
            Assert.Equal(new[] { own, Path.GetFileName(held), "model.safetensors" }.Order(StringComparer.Ordinal), Files());
        }

        // Once closed, the dead writer's file goes with the next save; this process's own file stays.
        ParameterFile.Save(Target, Layout, new float[2]);
        Assert.Equal(new[] { own, "model.safetensors" }.Order(StringComparer.Ordinal), Files());
    }

    [Theory]
    [InlineData(".model.safetensors.123.0123456789abcdef0123456789abcdef.tmp", true, 123)]
    [InlineData(".model.safetensors.0123456789abcdef0123456789abcdef.tmp", false, 0)]
    [InlineData(".model.safetensors.-1.0123456789abcdef0123456789abcdef.tmp", false, 0)]
    [InlineData(".model.safetensors.1.2.0123456789abcdef0123456789abcdef.tmp", false, 0)]
    [InlineData(".model.safetensors.99999999999.0123456789abcdef0123456789abcdef.tmp", false, 0)]
    public void TryParseWriter_AcceptsOnlyTheExactPattern(string fileName, bool expected, int processId)
    {
        Assert.Equal(expected, TemporaryFiles.TryParseWriter(fileName, ".model.safetensors.", out int parsed));
        Assert.Equal(processId, parsed);
    }

    [Fact]
    public void FlushDirectoryAndRemoveStale_NeverThrow()
    {
        TemporaryFiles.FlushDirectory(_folder);
        TemporaryFiles.FlushDirectory(Path.Combine(_folder, "missing"));
        TemporaryFiles.FlushDirectory("");
        TemporaryFiles.RemoveStale(Path.GetPathRoot(_folder)!);
    }
}
