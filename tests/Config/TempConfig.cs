namespace KnPipeline.Tests.Config;

/// <summary>A temporary folder holding one config file, deleted on dispose.</summary>
public sealed class TempConfig : IDisposable
{
    public TempConfig(string yaml, string name = "pipeline.yaml")
    {
        Folder = Directory.CreateTempSubdirectory("kn-config").FullName;
        Path = System.IO.Path.Combine(Folder, name);
        File.WriteAllText(Path, yaml);
    }

    public string Folder { get; }

    public string Path { get; }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
