namespace KnPipeline.Tests.Training;

/// <summary>A scratch folder for one training test; deleted with everything in it on dispose.</summary>
public sealed class TrainingTempDir : IDisposable
{
    public TrainingTempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kn-training-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
