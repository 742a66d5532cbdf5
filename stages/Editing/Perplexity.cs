using KnPipeline.Stages.Models.Core;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Editing;

/// <summary>
/// Perplexity of a fixed token sequence (the ΔPPL of DESIGN §2, "Metrics"): exp of the mean next-token negative
/// log-likelihood, the sequence cut into non-overlapping windows of the model's maximum positions, several windows per
/// pass. The first token of each window has no context and is not predicted. Causal LMs only: an MLM has no
/// next-token likelihood.
/// </summary>
/// <param name="windowsPerBatch">Windows per forward pass.</param>
/// <param name="positionsPerChunk">Positions whose logits are formed at once: a full [B, T, V] block would be
/// gigabytes for a 50k vocabulary.</param>
public sealed class Perplexity(TransformerLM model, int padId, int windowsPerBatch = 4, int positionsPerChunk = 128)
{
    /// <summary>Tokens per window: the model's maximum positions.</summary>
    public int Window => model.Config.MaxPositions;

    public double Of(IReadOnlyList<int> tokens)
    {
        if (!model.IsCausal)
            throw new InvalidOperationException($"perplexity needs a causal LM; {model.Family} is masked");
        var windows = tokens.Chunk(Window).Where(w => w.Length >= 2).ToList();
        if (windows.Count == 0)
            throw new ArgumentException($"{tokens.Count} tokens leave nothing to predict", nameof(tokens));
        double nll = 0;
        long predicted = 0;
        foreach (var batch in windows.Chunk(windowsPerBatch))
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            // Inside the scope: reading a parameter makes a tensor handle too.
            var device = model.HeadWeight.device;
            var inputs = ForwardInputs.FromRows(batch, padId, device);
            var hidden = model.FinalHidden(model.ForwardHidden(inputs));             // [B, T, d]
            int t = (int)hidden.shape[1];
            // Position j predicts token j + 1 where both are real; pads are right of every real token.
            var next = inputs.InputIds[.., 1..];
            var real = inputs.AttentionMask![.., 1..].to_type(ScalarType.Float32);
            for (int from = 0; from < t - 1; from += positionsPerChunk)
            {
                int to = Math.Min(from + positionsPerChunk, t - 1);
                using var chunk = NewDisposeScope();
                var logp = model.Head(hidden[.., from..to]).to_type(ScalarType.Float32).log_softmax(-1);
                var picked = logp.gather(-1, next[.., from..to].unsqueeze(-1)).squeeze(-1);
                nll -= (picked * real[.., from..to]).sum().to_type(ScalarType.Float64).item<double>();
            }
            predicted += batch.Sum(w => w.Length - 1);
        }
        return Math.Exp(nll / predicted);
    }
}
