using KnPipeline.Stages.Editing;
using KnPipeline.Tests.Localization;
using Xunit;

namespace KnPipeline.Tests.Editing;

public class EditSamplingTests
{
    private static List<EditFact> Facts(int relations, int perRelation) =>
        Enumerable.Range(0, relations).SelectMany(r => Enumerable.Range(0, perRelation)
            .Select(f => new EditFact($"P{r}", $"P{r}-F{f}", $"O{(r + f) % 7}"))).ToList();

    [Fact]
    public void EachRelationGivesItsShareOfFactsAndTheDevShareIsAboutAQuarter()
    {
        var facts = Facts(200, 6);
        var phases = EditSampling.Phases(facts, perRelation: 2, devShare: 0.25, seed: 1);
        Assert.Equal(400, phases.Count);
        Assert.All(facts.GroupBy(f => f.Relation), g => Assert.Equal(2, g.Count(f => phases.ContainsKey(f.FactId))));
        // Randomized rounding of 0.25 · 2 per relation: about 100 dev facts of 400 (binomial, sd 7).
        int dev = phases.Values.Count(p => p == EditSampling.Dev);
        Assert.InRange(dev, 75, 125);
        Assert.All(facts.GroupBy(f => f.Relation), g => Assert.InRange(
            g.Count(f => phases.GetValueOrDefault(f.FactId) == EditSampling.Dev), 0, 1));
        // A pure function of the ids and the seed: order and duplicates do not matter, another seed differs.
        var shuffled = facts.AsEnumerable().Reverse().Concat(facts.Take(10)).ToList();
        Assert.Equal(phases.OrderBy(p => p.Key), EditSampling.Phases(shuffled, 2, 0.25, 1).OrderBy(p => p.Key));
        Assert.NotEqual(phases.OrderBy(p => p.Key), EditSampling.Phases(facts, 2, 0.25, 2).OrderBy(p => p.Key));
        // A relation with fewer facts than asked gives them all; no dev share, no dev facts.
        Assert.Equal(6, EditSampling.Phases(Facts(1, 6), 10, 0.5, 1).Count);
        Assert.DoesNotContain(EditSampling.Dev, EditSampling.Phases(facts, 2, 0, 1).Values);
    }

    [Fact]
    public void QueriesAndTheProbeAreSeededAndUnrelatedFactsShareNeitherRelationNorObject()
    {
        var queries = Enumerable.Range(0, 6).Select(k => SyntheticAttributions.Query("en", k)).ToList();
        var one = EditSampling.Queries(queries, 2, seed: 3);
        Assert.Equal(2, one.Count);
        Assert.Equal(one, EditSampling.Queries(queries.AsEnumerable().Reverse(), 2, 3));

        var facts = Facts(5, 4);
        var probe = EditSampling.Probe(facts, 8, seed: 3);
        Assert.Equal(8, probe.Count);
        Assert.Equal(probe, EditSampling.Probe(facts.AsEnumerable().Reverse(), 8, 3));
        var unrelated = EditSampling.Unrelated(probe, "P1", "O2", "O3");
        Assert.All(unrelated, f => Assert.True(f.Relation != "P1" && f.Object is not ("O2" or "O3")));
        Assert.Equal(probe.Count(f => f.Relation != "P1" && f.Object is not ("O2" or "O3")), unrelated.Count);
    }
}
