using Xunit;

namespace KnPipeline.Tests.Support;

/// <summary>
/// Locates the reference data folder <c>../shared</c> beside the repository (or <c>KN_SHARED</c>). Tests that need it
/// use <see cref="SharedFactAttribute"/>, which skips them with a message naming the missing path.
/// </summary>
public static class SharedData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string? Root { get; } = FindShared();

    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([Root ?? throw new InvalidOperationException("../shared is not present"), .. parts]);

    public static bool Exists(string relative) =>
        Root != null && (File.Exists(System.IO.Path.Combine(Root, relative)) ||
                         Directory.Exists(System.IO.Path.Combine(Root, relative)));

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(System.IO.Path.Combine(d.FullName, "Pipeline.sln")))
                return d.FullName;
        throw new InvalidOperationException($"Pipeline.sln not found above {AppContext.BaseDirectory}");
    }

    private static string? FindShared()
    {
        string? env = Environment.GetEnvironmentVariable("KN_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
            return System.IO.Path.GetFullPath(env);
        string candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoRoot, "..", "shared"));
        return Directory.Exists(candidate) ? candidate : null;
    }
}

/// <summary>A fact that needs files from ../shared; it is skipped, with the reason, when any of them is absent.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute(params string[] requiredPaths)
    {
        if (SharedData.Root == null)
            Skip = "../shared (reference models and data) is not present beside the repository; set KN_SHARED to use it";
        else
            foreach (var p in requiredPaths)
                if (!SharedData.Exists(p))
                {
                    Skip = $"../shared/{p} is not present";
                    break;
                }
    }
}
