using Xunit;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("KnPipeline.Tests.Support.LongestFirstCollectionOrderer", "KnPipeline.Tests")]

namespace KnPipeline.Tests.Support;

/// <summary>
/// Starts the collections that train the full embedded model first. Collections run in parallel, one per core, in the
/// order given here: the training (minutes, one libtorch thread) then overlaps everything else instead of starting
/// after it and adding its whole length to the suite. The rest keep xunit's default order (by name).
/// </summary>
public sealed class LongestFirstCollectionOrderer : ITestCollectionOrderer
{
    private static readonly string[] Longest = [nameof(Training.DefaultEmbeddedModelTests)];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => Longest.Any(l => c.DisplayName.Contains(l, StringComparison.Ordinal)) ? 0 : 1)
                       .ThenBy(c => c.DisplayName, StringComparer.Ordinal);
}
