using System.Diagnostics;
using KnPipeline.Stages.Models;

namespace KnPipeline.Stages.Training;

/// <summary>
/// The file-system side of the model cache: a model folder is complete once training.json exists (it is written last);
/// a new one is moved into place with one rename; folders left by killed trainings are removed by the next one.
/// </summary>
internal static class ModelCacheFolder
{
    /// <summary>True when <paramref name="dir"/> holds a finished model (training.json is written last). Checked
    /// through links, so an entry whose linked weights are gone counts as missing and is trained again.</summary>
    public static bool IsComplete(string dir) =>
        LinkedFiles.Exists(Path.Combine(dir, TrainingReport.FileName)) &&
        LinkedFiles.Exists(Path.Combine(dir, "model.safetensors"));

    /// <summary>
    /// Moves the finished <paramref name="temp"/> folder to <paramref name="dir"/>. If another process finished the
    /// same model first, its folder is kept (same key, same inputs); with <paramref name="force"/> the old folder is
    /// renamed aside, replaced, then deleted.
    /// </summary>
    public static void Publish(string temp, string dir, bool force)
    {
        if (Directory.Exists(dir))
        {
            if (!force && IsComplete(dir))
                return; // another process finished the same model first; keep its folder
            string old = dir + $".old-{Environment.ProcessId}-{Guid.NewGuid():N}";
            Directory.Move(dir, old);
            Directory.Move(temp, dir);
            Directory.Delete(old, recursive: true);
            return;
        }
        Directory.Move(temp, dir);
    }

    /// <summary>
    /// Deletes temporary folders left by trainings that were killed outright (their process no longer exists), so a
    /// crash costs disk space only until the next training.
    /// </summary>
    public static void RemoveAbandoned(string root)
    {
        foreach (string d in Directory.GetDirectories(root, ".tmp-*").Concat(Directory.GetDirectories(root, "*.old-*")))
        {
            string[] parts = Path.GetFileName(d).Split('-');
            // .tmp-<key>-<pid>-<guid> and <key>.old-<pid>-<guid>
            int at = Path.GetFileName(d).StartsWith(".tmp-", StringComparison.Ordinal) ? 2 : 1;
            if (parts.Length > at && int.TryParse(parts[at], out int pid) && !ProcessExists(pid))
            {
                try
                {
                    Directory.Delete(d, recursive: true);
                }
                catch (IOException)
                {
                    // Another process may be cleaning up the same folder; it is only disk space.
                }
            }
        }
    }

    private static bool ProcessExists(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
