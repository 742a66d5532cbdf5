namespace KnPipeline.Tests.Models.Tokenizers;

/// <summary>A scratch folder for one test (copies of tokenizer files, hand-written vocabularies); deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kn-tokenizers-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string content)
    {
        System.IO.File.WriteAllText(File(name), content);
        return File(name);
    }

    /// <summary>Copies files into this folder (files from ../shared are read-only, so write bits are not kept).</summary>
    public TempFolder CopyFrom(string sourceDir, params string[] names)
    {
        foreach (string n in names)
            System.IO.File.WriteAllBytes(File(n), System.IO.File.ReadAllBytes(System.IO.Path.Combine(sourceDir, n)));
        return this;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; never fail a test over cleanup.
        }
    }
}
