using KnPipeline.Stages.Models.Core;

namespace KnPipeline.Stages.Attribution;

/// <summary>
/// Matmul FLOPs (2 per multiply-add) of forward passes and of the two IG algorithms, from the model's dimensions.
/// The backward pass needs gradients for activations only (parameters are frozen), which costs one more matmul per
/// forward matmul, so a forward + backward counts twice the forward.
/// </summary>
public static class FlopCount
{
    /// <summary>One token through one layer (projections and FFN), attending to <paramref name="keys"/> keys.</summary>
    public static double TokenLayer(ModelConfig c, double keys)
    {
        double d = c.HiddenSize, q = c.NumHeads * c.HeadDim, kv = c.NumKvHeads * c.HeadDim, f = c.FfnWidth;
        double proj = 2 * (d * q + 2 * d * kv + q * d);
        double ffn = 2 * (c.Family == "llama" ? 3 : 2) * d * f;
        double attn = 2 * 2 * keys * q;
        return proj + ffn + attn;
    }

    public static double HeadRow(ModelConfig c) => 2.0 * c.HiddenSize * c.VocabSize;

    /// <summary>One layer over a whole sequence of T tokens (causal: token t sees t keys; BERT: every token sees T).</summary>
    public static double SequenceLayer(ModelConfig c, int tokens)
    {
        double sum = 0;
        for (int t = 1; t <= tokens; t++)
            sum += TokenLayer(c, c.Family == "bert" ? tokens : t);
        return sum;
    }

    /// <summary>A full forward of T tokens with the head at every position.</summary>
    public static double Forward(ModelConfig c, int tokens, bool headEverywhere = true) =>
        c.NumLayers * SequenceLayer(c, tokens) + (headEverywhere ? tokens : 1) * HeadRow(c);

    /// <summary>The fast causal algorithm for one query: one prefix pass, then (m+1) rows per layer l through l..L−1.</summary>
    public static double FastCausal(ModelConfig c, int tokens, int steps, int layers)
    {
        double rows = steps + 1;
        double prefix = Forward(c, tokens, headEverywhere: false);
        double suffix = 0;
        for (int l = 0; l < layers; l++)
        {
            // The start layer only runs the FFN output projection; later layers run whole.
            suffix += rows * 2 * c.HiddenSize * c.FfnWidth;
            suffix += rows * (c.NumLayers - 1 - l) * TokenLayer(c, tokens);
        }
        double head = rows * layers * HeadRow(c);
        // Forward of suffix and head, then their backward (the head's by hand: one more matmul of the same size).
        return prefix + 2 * (suffix + head);
    }

    /// <summary>
    /// The naive algorithm: one unmodified forward, then per layer l, m+1 copies through the whole model with the head
    /// at every position, and their backward from the head down to the activation at layer l (the head over every
    /// position, layers l+1..L−1, and layer l's FFN output projection; nothing below l needs a gradient).
    /// </summary>
    public static double Naive(ModelConfig c, int tokens, int steps, int layers)
    {
        double forward = Forward(c, tokens, headEverywhere: true);
        double total = forward;
        for (int l = 0; l < layers; l++)
        {
            double backward = tokens * HeadRow(c) + (c.NumLayers - 1 - l) * SequenceLayer(c, tokens) + tokens * 2.0 * c.HiddenSize * c.FfnWidth;
            total += (steps + 1) * (forward + backward);
        }
        return total;
    }
}
