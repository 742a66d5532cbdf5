using System.Text;

namespace KnPipeline.Tests.Data.Support;

/// <summary>A benchmark folder in a temp directory, written line by line by a test and deleted afterwards.</summary>
public sealed class TempBenchmark : IDisposable
{
    public TempBenchmark() =>
        Root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "kn-test-" + Guid.NewGuid().ToString("N")))
            .FullName;

    public string Root { get; }

    /// <summary>Writes the lines (UTF-8, '\n' endings) to a file under <see cref="Root"/>, creating folders.</summary>
    public TempBenchmark Write(string relative, params string[] lines)
    {
        string path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")), new UTF8Encoding(false));
        return this;
    }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; never fail a test over cleanup.
        }
    }
}
