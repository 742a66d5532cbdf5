using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Localization;

/// <summary>Knowledge synapses: the attention-column interceptor and the probe, on cases known by construction.</summary>
[Collection("Torch")]
public class SynapseProbeTests
{
    private static readonly int[][] Prompts = [[5, 9, 13, 2, 7, 11, 3], [4, 8, 6, 10], [12, 3, 3, 9, 1]];

    /// <summary>Head 0 of every layer chooses column 1, head 1 column 0; the other heads nothing.</summary>
    private static Dictionary<int, Tensor> Masks(TransformerLM model, long t)
    {
        var masks = new Dictionary<int, Tensor>();
        for (int l = 0; l < model.NumLayers; l++)
        {
            var m = zeros(Prompts.Length, model.Config.NumHeads, t, dtype: ScalarType.Bool);
            m[.., 0, 1] = tensor(true);
            m[.., 1, 0] = tensor(true);
            masks[l] = m;
        }
        return masks;
    }

    [Fact]
    public void ScalingColumnsByOneLeavesTheLogitsEqualThroughTheSameCodePath()
    {
        foreach (var family in new[] { "gpt2", "llama", "bert" })
        {
            using var scope = NewDisposeScope();
            var model = TinyModels.Build(family, seed: 5);
            var inputs = ForwardInputs.FromRows(Prompts, 0, CPU);
            long t = inputs.InputIds.shape[1];
            var pos = tensor(Prompts.Select(p => (long)p.Length - 1).ToArray());
            using var _ = no_grad();
            var plain = model.Logits(inputs, pos);
            foreach (bool allRows in new[] { false, true })
                foreach (bool renormalize in new[] { false, true })
                {
                    var scaled = model.Logits(inputs, pos,
                        new AttentionHeadColumnScale(Masks(model, t), pos, 1.0, allRows, renormalize));
                    double diff = (plain - scaled).abs().max().item<float>();
                    Assert.True(diff < 1e-6, $"{family} rows={allRows} renormalize={renormalize}: {diff}");
                }
            // And α = 0 through the same path does change them: the test above is not vacuous.
            var knocked = model.Logits(inputs, pos, new AttentionHeadColumnScale(Masks(model, t), pos, 0.0, false, true));
            Assert.True((plain - knocked).abs().max().item<float>() > 1e-4, family);
        }
    }

    [Fact]
    public void RenormalizedRowsSumToOneAndUntouchedRowsStayAsTheyWere()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 6);
        var inputs = ForwardInputs.FromRows(Prompts, 0, CPU);
        long t = inputs.InputIds.shape[1];
        var pos = tensor(Prompts.Select(p => (long)p.Length - 1).ToArray());
        using var _ = no_grad();
        var before = new AttentionCapture();
        model.Logits(inputs, pos, before);
        foreach (double alpha in new[] { 0.0, 2.0 })
        {
            var after = new AttentionCapture();
            model.Logits(inputs, pos, new InterceptorChain(
                new AttentionHeadColumnScale(Masks(model, t), pos, alpha, false, true), after));
            for (int l = 0; l < model.NumLayers; l++)
                for (int b = 0; b < Prompts.Length; b++)
                {
                    int p = Prompts[b].Length - 1;
                    var row = after.Probabilities[l][b, .., p, ..];                        // [H, T]
                    var sums = row.sum(-1);
                    Assert.True((sums - 1).abs().max().item<float>() < 1e-5, $"layer {l} prompt {b}: {sums}");
                    // Head 0 chose column 1: its share moved by α before renormalization.
                    float w0 = before.Probabilities[l][b, 0, p, 1].item<float>();
                    float w1 = row[0, 1].item<float>();
                    if (alpha == 0)
                        Assert.Equal(0f, w1);
                    else
                        Assert.True(w1 > w0, $"α = 2 lowered the chosen weight ({w0} → {w1})");
                    // A row that is not the prediction row is not touched.
                    if (p > 1)
                        Assert.True(before.Probabilities[l][b, .., p - 1, ..]
                            .eq(after.Probabilities[l][b, .., p - 1, ..]).all().item<bool>());
                }
        }
    }

    [Fact]
    public void TheColumnChoiceNeverPicksThePredictionColumnOrASpecialFirstToken()
    {
        var special = new HashSet<int> { 50 };
        // Causal: the row sees 0..4; 4 is the prediction column and 0 holds the special token.
        Assert.Equal([1, 2, 3], SynapseProbe.Eligible([50, 7, 8, 9, 10, 11], 4, true, special));
        // A first token that is not special stays eligible; a masked LM's row sees the whole prompt.
        Assert.Equal([0, 1, 2, 3, 5], SynapseProbe.Eligible([6, 7, 8, 9, 10, 11], 4, false, special));
        // Column 0 and the prediction column carry the most weight, yet the top 2 are the best of the others.
        float[] weights = [0.5f, 0.05f, 0.2f, 0.1f, 0.15f];
        var eligible = SynapseProbe.Eligible([50, 7, 8, 9, 10], 4, true, special);
        Assert.Equal([2, 3], SynapseProbe.TopColumns(eligible, c => weights[c], 2));
    }

    [Fact]
    public void TheProbeMeasuresTheQueryAgainstItsControlAndSkipsPromptsTooShortForOne()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 7);
        var options = new SynapseOptions { TopK = 1, Alphas = [0.0, 1.0] };
        var probe = new SynapseProbe(model, 0, options, seed: 11, specialIds: new HashSet<int>());
        TokenizedQueryRecord Query(string id, int[] ids, int subjectStart = -1, int subjectEnd = -1) =>
            new(id, "F1", "P36", "en", id, "train", "", ids, [], [ids.Length - 1], [7], 1, 0)
                { SubjectTokenStart = subjectStart, SubjectTokenEnd = subjectEnd };
        var kns = NeuronSet.Of([(0, 3), (1, 5), (2, 0)]);
        var queries = new List<SynapseQuery>
        {
            // The subject holds tokens 1..2; the prediction column (6) is never chosen even inside a span.
            new(Query("long", [5, 9, 13, 2, 7, 11, 3], 1, 3), "dai", kns, true),
            new(Query("short", [4, 8]), "dai", kns, false),        // one other column: no disjoint control
        };
        var (records, heatmaps, skipped) = probe.Run(queries);
        Assert.Equal(1L, skipped[SynapseProbe.SkipReason]);
        Assert.Equal(1L, skipped[SynapseProbe.SubjectSkipReason]);    // "short" has no span
        // Per variant, 2 alphas × (query, control), for the long prompt only.
        Assert.Equal(8, records.Count);
        Assert.All(records, r => Assert.Equal("long", r.QueryId));
        int heads = model.NumLayers * model.Config.NumHeads;
        Assert.All(records.Where(r => r.Variant == SynapseProbe.TopK), r => Assert.Equal(heads, r.Columns));
        Assert.All(records.Where(r => r.Variant == SynapseProbe.Subject), r => Assert.Equal(2 * heads, r.Columns));
        Assert.Equal([1, 2], SynapseProbe.SubjectColumns(queries[0].Query, [0, 1, 2, 3, 4, 5]));
        Assert.Equal([2], SynapseProbe.SubjectColumns(queries[0].Query, [0, 2, 3]));
        // α = 1 changes nothing, for the chosen columns and for the control.
        Assert.All(records.Where(r => r.Alpha == 1.0), r =>
        {
            Assert.True(Math.Abs(r.PAfter - r.PBefore) < 1e-6);
            Assert.True(Math.Abs(r.Dact) < 1e-5);
        });
        Assert.Contains(records, r => r.Alpha == 0 && Math.Abs(r.Dprob) > 1e-4);
        // One heatmap row per layer, its prediction row a distribution before and after the knockout.
        Assert.Equal(model.NumLayers, heatmaps.Count);
        Assert.All(heatmaps, h =>
        {
            Assert.Equal(1f, h.AttentionBefore.Sum(), 4);
            Assert.Equal(1f, h.AttentionAfter.Sum(), 4);
        });
        // Reproducible: the control's columns are seeded by the run seed and the query id.
        var again = probe.Run(queries).Records;
        Assert.Equal(records.Select(r => r.PAfter), again.Select(r => r.PAfter));
    }
}
