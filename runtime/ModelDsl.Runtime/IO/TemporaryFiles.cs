using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace ModelDsl.IO;

/// <summary>
/// The temporary files of atomic saves: <see cref="SafeTensorsWriter"/> writes <c>model.safetensors</c> as
/// <c>.model.safetensors.{process id}.{32 hex digits}.tmp</c> in the same folder, flushes it, renames it over the target
/// and flushes the folder. A save killed before the rename leaves its temporary file; the next save or load of the same
/// target removes it (<see cref="RemoveStale"/>).
/// </summary>
internal static partial class TemporaryFiles
{
    private const string Suffix = ".tmp";

    /// <summary>A new temporary path for <paramref name="fullPath"/>, unique to this process and call.</summary>
    internal static string For(string fullPath) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(fullPath)!,
            string.Create(CultureInfo.InvariantCulture, $".{System.IO.Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}{Suffix}"));

    /// <summary>
    /// Deletes the temporary files that earlier saves of <paramref name="fullPath"/> left behind: only files named exactly
    /// as <see cref="For"/> names them for this target, written by a process that no longer runs (so never one of this
    /// process's saves in progress), and that no one holds open (a writer holds its temporary file locked). Never throws:
    /// a file that cannot be checked or deleted stays for a later call.
    /// </summary>
    internal static void RemoveStale(string fullPath)
    {
        string? directory = System.IO.Path.GetDirectoryName(fullPath);
        string prefix = "." + System.IO.Path.GetFileName(fullPath) + ".";
        if (directory is null)
        {
            return;
        }

        try
        {
            var options = new EnumerationOptions
            {
                AttributesToSkip = 0,
                IgnoreInaccessible = true,
                MatchCasing = MatchCasing.CaseSensitive,
                MatchType = MatchType.Simple,
                RecurseSubdirectories = false,
            };
            foreach (string candidate in Directory.EnumerateFiles(directory, ".*" + Suffix, options))
            {
                if (TryParseWriter(System.IO.Path.GetFileName(candidate), prefix, out int processId)
                    && processId != Environment.ProcessId && !IsRunning(processId))
                {
                    DeleteUnlessOpen(candidate);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            // The folder cannot be listed (gone, no permission): nothing to clean.
        }
    }

    /// <summary>
    /// Whether <paramref name="fileName"/> is <paramref name="prefix"/> + process id + <c>.</c> + 32 hex digits + <c>.tmp</c>,
    /// and the id of the process that wrote it.
    /// </summary>
    internal static bool TryParseWriter(string fileName, string prefix, out int processId)
    {
        processId = 0;
        if (!fileName.StartsWith(prefix, StringComparison.Ordinal) || !fileName.EndsWith(Suffix, StringComparison.Ordinal))
        {
            return false;
        }

        var middle = fileName.AsSpan(prefix.Length, fileName.Length - prefix.Length - Suffix.Length);
        int dot = middle.IndexOf('.');
        if (dot > 0
            && int.TryParse(middle[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out int parsed)
            && middle.Length - dot - 1 == 32
            && Guid.TryParseExact(middle[(dot + 1)..], "N", out _))
        {
            processId = parsed;
            return true;
        }

        return false;
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException or PlatformNotSupportedException)
        {
            return true;
        }
    }

    /// <summary>Deletes <paramref name="path"/> if it can be opened exclusively (no writer holds it).</summary>
    private static void DeleteUnlessOpen(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.None, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Held by a writer, or not ours to delete.
        }
    }

    /// <summary>
    /// Flushes the folder's entries to disk, so that a rename into it survives a power loss (POSIX: <c>fsync</c> on the
    /// folder). Linux and macOS only; elsewhere, or where the folder cannot be opened or flushed, nothing happens.
    /// </summary>
    internal static void FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        try
        {
            int descriptor = Libc.Open(directory, 0 /* O_RDONLY */);
            if (descriptor >= 0)
            {
                Libc.FSync(descriptor);
                Libc.Close(descriptor);
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            // No usable C library: the rename is still atomic, only not yet durable.
        }
    }

    /// <summary>The three POSIX calls <see cref="FlushDirectory"/> needs; .NET cannot open a folder as a file.</summary>
    private static partial class Libc
    {
        private const string Library = "libc";

        [LibraryImport(Library, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int Open(string path, int flags);

        [LibraryImport(Library, EntryPoint = "fsync", SetLastError = true)]
        internal static partial int FSync(int descriptor);

        [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
        internal static partial int Close(int descriptor);
    }
}
