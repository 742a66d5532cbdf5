using KnPipeline.Stages.Models.Core;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Training;

/// <summary>
/// Scores causal-LM queries the way docs/architecture.md, Definitions defines a correct answer. First-token: the gold
/// object's first token is the argmax at the prompt's last position. Greedy: greedy decoding of as many tokens as the
/// object has reproduces all of them; as long as every argmax equals the gold token the greedy prefix IS the gold
/// prefix, so one teacher-forced pass over prompt + object[..^1] decides it exactly.
/// </summary>
public static class PromptScorer
{
    /// <summary>
    /// One query: prompt ids (as EncodePrompt gives them), the object's ids (as TargetIds gives them) and the first
    /// tokens of the object's aliases (null = none), which only <see cref="Score.FirstTokenOrAlias"/> counts.
    /// </summary>
    public readonly record struct Query(int[] Prompt, int[] Target, int[]? AliasFirst = null);

    public readonly record struct Score(bool FirstToken, bool Greedy, bool FirstTokenOrAlias);

    /// <summary>Scores every query with <paramref name="model"/> on the CPU or its device, in length-sorted
    /// batches.</summary>
    public static Score[] Run(TransformerLM model, IReadOnlyList<Query> queries, int padId, int batchSize = 256)
    {
        var scores = new Score[queries.Count];
        for (int i = 0; i < queries.Count; i++)
            if (queries[i].Prompt.Length == 0 || queries[i].Target.Length == 0)
                throw new ArgumentException($"query {i} has an empty prompt or target", nameof(queries));
        var device = model.InputEmbedding.device;
        // Length-sorted batches waste little on padding; the sort is stable, so the order never depends on luck.
        var order = Enumerable.Range(0, queries.Count)
                              .OrderBy(i => queries[i].Prompt.Length + queries[i].Target.Length).ToArray();
        for (int from = 0; from < order.Length; from += batchSize)
        {
            var batch = order.Skip(from).Take(batchSize).ToArray();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var rows = batch.Select(i => (int[])[.. queries[i].Prompt, .. queries[i].Target[..^1]]).ToList();
            var inputs = ForwardInputs.FromRows(rows, padId, device);
            // Right padding under a causal mask: real positions never see the pads, so no attention mask is needed.
            var hidden = model.FinalHidden(model.ForwardHidden(new ForwardInputs { InputIds = inputs.InputIds }));
            var positions = new List<long>();
            var rowIndex = new List<long>();
            for (int r = 0; r < batch.Length; r++)
            {
                var q = queries[batch[r]];
                for (int k = 0; k < q.Target.Length; k++)
                {
                    rowIndex.Add(r);
                    positions.Add(q.Prompt.Length - 1 + k);
                }
            }
            var picked = hidden[tensor(rowIndex.ToArray(), device: device),
                tensor(positions.ToArray(), device: device)];
            long[] argmax = model.Head(picked).argmax(-1).cpu().data<long>().ToArray();
            int at = 0;
            for (int r = 0; r < batch.Length; r++)
            {
                var q = queries[batch[r]];
                bool first = argmax[at] == q.Target[0], all = true;
                for (int k = 0; k < q.Target.Length; k++)
                    all &= argmax[at + k] == q.Target[k];
                at += q.Target.Length;
                bool alias = first || (q.AliasFirst?.Contains((int)argmax[at - q.Target.Length]) ?? false);
                scores[batch[r]] = new Score(first, all, alias);
            }
        }
        return scores;
    }
}
