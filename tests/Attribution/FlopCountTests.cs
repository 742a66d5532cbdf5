using System.Text.Json.Nodes;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Models.Core;
using Xunit;

namespace KnPipeline.Tests.Attribution;

/// <summary>Matmul FLOP counts of the IG algorithms on GPT-2 small's shape, checked by hand.</summary>
public class FlopCountTests
{
    private static readonly ModelConfig Gpt2Small = ModelConfig.Parse(new JsonObject
    {
        ["model_type"] = "gpt2", ["vocab_size"] = 50257, ["n_embd"] = 768, ["n_layer"] = 12, ["n_head"] = 12,
        ["n_inner"] = 3072, ["n_positions"] = 1024,
    }, "gpt2-small-shaped");

    [Fact]
    public void TokenLayerAndHeadRowCountTwoFlopsPerMultiplyAdd()
    {
        // q, k, v and output projections (4·d²), FFN in and out (2·d·f), attention over 12 keys (2·12·d).
        Assert.Equal(2.0 * (4 * 768 * 768 + 2 * 768 * 3072 + 2 * 12 * 768), FlopCount.TokenLayer(Gpt2Small, 12));
        Assert.Equal(2.0 * 768 * 50257, FlopCount.HeadRow(Gpt2Small));
    }

    [Fact]
    public void NaiveCostsAboutFifteenTimesTheFastAlgorithmAtTwelveTokens()
    {
        double fast = FlopCount.FastCausal(Gpt2Small, 12, 20, 12);
        double naive = FlopCount.Naive(Gpt2Small, 12, 20, 12);
        // Fast: ~83 GFLOP per query, half of it the LM head over 21·12 rows, forward and backward.
        Assert.InRange(fast / 1e9, 82, 84);
        Assert.InRange(naive / fast, 14.5, 15.5);
        // Twice the prompt: the naive cost roughly doubles, the fast one barely moves.
        Assert.InRange(FlopCount.Naive(Gpt2Small, 24, 20, 12) / FlopCount.FastCausal(Gpt2Small, 24, 20, 12), 28, 31);
    }
}
