using KnPipeline.Stages.Editing;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Editing;

[Collection("Torch")]
public class PerplexityTests
{
    private static int[] Tokens(int n, int vocab) =>
        Enumerable.Range(0, n).Select(i => new Random(5 + i).Next(1, vocab)).ToArray();

    /// <summary>exp(mean NLL) window by window, each window alone through the plain full pass.</summary>
    private static double ByHand(TransformerLM model, int[] tokens)
    {
        double nll = 0;
        int count = 0;
        foreach (var w in tokens.Chunk(model.Config.MaxPositions).Where(w => w.Length >= 2))
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var logp = model.Logits(ForwardInputs.FromRows([w], 0, CPU))[0].to_type(ScalarType.Float64)
                .log_softmax(-1);
            for (int j = 0; j + 1 < w.Length; j++)
                nll -= logp[j, w[j + 1]].item<double>();
            count += w.Length - 1;
        }
        return Math.Exp(nll / count);
    }

    [Fact]
    public void PerplexityIsExpOfTheMeanNextTokenLossOverWindows()
    {
        foreach (var family in new[] { "gpt2", "llama" })
        {
            using var scope = NewDisposeScope();
            var model = TinyModels.Build(family, seed: 31);
            // 32 positions: windows of 32, 32 and 6 tokens in one batch (the last padded), logits 5 positions at a
            // time.
            var tokens = Tokens(70, model.VocabSize);
            double got = new Perplexity(model, padId: 0, windowsPerBatch: 3, positionsPerChunk: 5).Of(tokens);
            double want = ByHand(model, tokens);
            Assert.True(Math.Abs(got - want) < 1e-5 * want, $"{family}: {got} vs {want}");
            Assert.Equal(32, new Perplexity(model, 0).Window);
            // A last window of one token has nothing to predict: 65 tokens score as the first 64.
            Assert.Equal(new Perplexity(model, 0, 2, 5).Of(tokens[..64]), new Perplexity(model, 0, 2, 5)
                .Of(tokens[..65]));
        }
    }

    [Fact]
    public void AnEditMovesThePerplexityAndTheRestoreBringsItBack()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 32);
        var ppl = new Perplexity(model, padId: 0);
        var tokens = Tokens(40, model.VocabSize);
        double before = ppl.Of(tokens);
        using var editor = new ValueSlotEditor(model);
        editor.Erase(NeuronSet.Of(Enumerable.Range(0, 12).Select(u => (1, u))));
        double during = ppl.Of(tokens);
        Assert.True(editor.Restore());
        Assert.NotEqual(before, during);
        Assert.Equal(before, ppl.Of(tokens));
        Assert.Throws<InvalidOperationException>(() => new Perplexity(TinyModels.Build("bert", 1), 0).Of(tokens));
        Assert.Throws<ArgumentException>(() => ppl.Of([4]));
    }
}
