using System;
using System.Globalization;
using System.IO;

namespace ModelDsl.Reports;

/// <summary>
/// Writes report files atomically: into a temporary file beside the target (<c>.name.{guid}.tmp.ext</c>, same folder so the
/// rename stays on one volume), then renamed over it. A reader sees the old file or the new one, never half of one; a failed
/// write leaves the old file and deletes its temporary file. Missing folders are created.
/// </summary>
internal static class ReportFiles
{
    /// <summary>Calls <paramref name="write"/> with a temporary path, then moves that file to <paramref name="path"/>.</summary>
    public static void WriteAtomically(string path, Action<string> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{path}' names no file.", nameof(path));
        Directory.CreateDirectory(folder);
        string temporary = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture,
            $".{Path.GetFileNameWithoutExtension(fullPath)}.{Guid.NewGuid():N}.tmp{Path.GetExtension(fullPath)}"));
        try
        {
            write(temporary);
            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8, no byte order mark) atomically to <paramref name="path"/>.</summary>
    public static void WriteText(string path, string text) =>
        WriteAtomically(path, temporary => File.WriteAllText(temporary, text, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false)));
}
