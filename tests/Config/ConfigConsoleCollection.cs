using Xunit;

namespace KnPipeline.Tests.Config;

/// <summary>
/// Tests that swap <see cref="Console"/> streams (or the working directory) share process-wide state, so they run in
/// this collection, which xunit runs alone after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConfigConsoleCollection
{
    public const string Name = "ConfigConsole";
}
