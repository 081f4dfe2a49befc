using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;

namespace ModelDsl.Package.Tests;

/// <summary>
/// Packs the ModelDsl and ModelDsl.Reports packages from this build (the documented pack command, without rebuilding) into a temporary
/// feed under a version no other cache can hold, and copies the consumer projects of tests/PackageConsumer next to
/// it, outside the repository, so nothing of the repository's build settings reaches them.
/// </summary>
public sealed class PackageFixture : IDisposable
{
    public PackageFixture()
    {
        Root = FindRepositoryRoot();
        Work = Path.Combine(Path.GetTempPath(), "modeldsl-package-" + Guid.NewGuid().ToString("N"));
        Feed = Path.Combine(Work, "feed");
        Directory.CreateDirectory(Feed);

        // A unique version: a package cache (the user's or the fallback folder below) cannot hold a stale copy of it.
        Version = "0.1.0-test." + Guid.NewGuid().ToString("N")[..12];
        string configuration = typeof(PackageFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(attribute => attribute.Key == "Configuration").Value!;
        PackOutput = Dotnet(Root, "pack", Path.Combine(Root, "runtime", "ModelDsl.Runtime", "ModelDsl.Runtime.csproj"),
            "-c", configuration, "--no-build", "-o", Feed, "-p:Version=" + Version);
        if (PackOutput.ExitCode != 0)
        {
            throw new InvalidOperationException("dotnet pack failed:\n" + PackOutput.Text);
        }

        // The companion package, same version: its dependency on ModelDsl is this version.
        ProcessResult reports = Dotnet(Root, "pack", Path.Combine(Root, "reports", "ModelDsl.Reports", "ModelDsl.Reports.csproj"),
            "-c", configuration, "--no-build", "-o", Feed, "-p:Version=" + Version);
        if (reports.ExitCode != 0)
        {
            throw new InvalidOperationException("dotnet pack of ModelDsl.Reports failed:\n" + reports.Text);
        }

        string consumers = Path.Combine(Root, "tests", "PackageConsumer");
        CopyDirectory(consumers, Path.Combine(Work, "consumers"));
    }

    /// <summary>The repository's root folder.</summary>
    public string Root { get; }

    /// <summary>The temporary folder holding the feed, the consumers and their package folder.</summary>
    public string Work { get; }

    /// <summary>The folder the package was packed into.</summary>
    public string Feed { get; }

    /// <summary>The version packed.</summary>
    public string Version { get; }

    /// <summary>What dotnet pack printed.</summary>
    public ProcessResult PackOutput { get; }

    /// <summary>Path of the packed .nupkg.</summary>
    public string PackagePath => Path.Combine(Feed, $"ModelDsl.{Version}.nupkg");

    /// <summary>Path of the packed ModelDsl.Reports .nupkg.</summary>
    public string ReportsPackagePath => Path.Combine(Feed, $"ModelDsl.Reports.{Version}.nupkg");

    /// <summary>
    /// Runs dotnet with <paramref name="arguments"/> in the consumer folder <paramref name="project"/>, restoring
    /// ModelDsl and ModelDsl.Reports from the feed only (into a package folder of its own; other packages come from the machine's
    /// package folder, so no network is needed for what the solution already restored).
    /// </summary>
    public ProcessResult Consumer(string project, params string[] arguments)
    {
        string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Dotnet(Path.Combine(Work, "consumers", project),
        [
            .. arguments, "-p:ModelDslVersion=" + Version, "-p:RestoreAdditionalProjectSources=" + Feed,
            "-p:RestorePackagesPath=" + Path.Combine(Work, "packages"), "-p:RestoreFallbackFolders=" + globalPackages,
        ]);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Work, recursive: true);
        }
        catch (IOException)
        {
            // A build server may still hold a file; the folder is in the temporary directory.
        }
    }

    private static ProcessResult Dotnet(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs under dotnet test's MSBuild: its variables would point a nested build at the wrong SDK
        // pieces. A user's shell has none of them. No build server either: nothing outlives the test.
        foreach (string name in start.Environment.Keys.ToList())
        {
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || name.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(name);
            }
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";

        using var process = Process.Start(start)!;
        var output = new List<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.Add(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.Add(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        lock (output)
        {
            return new ProcessResult(process.ExitCode, string.Join('\n', output));
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ModelDsl.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("ModelDsl.sln not found above " + AppContext.BaseDirectory);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (string directory in Directory.EnumerateDirectories(from))
        {
            string name = Path.GetFileName(directory);
            if (name is not ("bin" or "obj"))
            {
                CopyDirectory(directory, Path.Combine(to, name));
            }
        }
    }
}

/// <summary>A finished process: its exit code and everything it printed.</summary>
public sealed record ProcessResult(int ExitCode, string Text);
