using KnPipeline.Stages.Records;
using KnPipeline.Stages.Models.Core;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Interventions;

/// <summary>One intervention row: prompt <see cref="Prompt"/> of a batch, with <see cref="Set"/> scaled by α.</summary>
public sealed record InterventionRow(int Prompt, NeuronSet Set, double Alpha);

/// <summary>
/// The intervention engine: the target probability of each row when its neuron set is scaled by its α at the
/// prediction position. Rows of one batch may carry different sets and factors, and several rows may share a
/// prompt. A causal LM reuses the prompt's prefix cache, as fast IG does: scaling at the prediction position changes
/// nothing before it, so only that position is recomputed, from the first layer any row touches. A masked LM runs
/// full passes (every position sees the masked one). Everything stays on the device in the model's dtype; nothing in
/// the model is changed.
/// </summary>
public sealed class NeuronInterventions(TransformerLM model, int padId)
{
    /// <summary>
    /// P(target) at the prediction position of each row.
    /// </summary>
    /// <param name="prompts">Token ids of each prompt.</param>
    /// <param name="predictionPositions">Where each prompt's neurons are scaled and its target is read.</param>
    /// <param name="targets">Target token id of each prompt.</param>
    /// <param name="rows">The rows to compute.</param>
    /// <param name="usePrefixCache">Causal LMs only: false runs full passes (the reference).</param>
    public double[] TargetProbabilities(IReadOnlyList<int[]> prompts, IReadOnlyList<int> predictionPositions,
        IReadOnlyList<int> targets, IReadOnlyList<InterventionRow> rows, bool usePrefixCache = true)
    {
        if (rows.Count == 0)
            return [];
        foreach (var row in rows)
            foreach (var (layer, unit) in row.Set.Pairs)
                if (layer < 0 || layer >= model.NumLayers || unit < 0 || unit >= model.FfnWidth)
                    throw new ArgumentException($"neuron ({layer}, {unit}) is outside the model's {model.NumLayers} " +
                                                $"layers of {model.FfnWidth} units", nameof(rows));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var probs = model.IsCausal && usePrefixCache
            ? CachedPass(prompts, predictionPositions, targets, rows)
            : FullPass(prompts, predictionPositions, targets, rows);
        return probs.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
    }

    private Device Device => model.HeadWeight.device;

    private Tensor FullPass(IReadOnlyList<int[]> prompts, IReadOnlyList<int> positions, IReadOnlyList<int> targets,
        IReadOnlyList<InterventionRow> rows)
    {
        var inputs = ForwardInputs.FromRows(rows.Select(r => prompts[r.Prompt]).ToList(), padId, Device);
        var pos = tensor(rows.Select(r => (long)positions[r.Prompt]).ToArray(), device: Device);
        var scale = new NeuronSetScale(pos, rows.Select(r => r.Set.Layers).ToList(),
            rows.Select(r => r.Set.Units).ToList(), rows.Select(r => r.Alpha).ToList(), model.FfnWidth);
        var logits = model.Logits(inputs, pos, scale);                                   // [N, V]
        var ids = tensor(rows.Select(r => (long)targets[r.Prompt]).ToArray(), device: Device);
        return logits.to_type(ScalarType.Float32).softmax(-1).gather(1, ids.unsqueeze(1)).squeeze(1);
    }

    private Tensor CachedPass(IReadOnlyList<int[]> prompts, IReadOnlyList<int> positions, IReadOnlyList<int> targets,
        IReadOnlyList<InterventionRow> rows)
    {
        int b = prompts.Count;
        var inputs = ForwardInputs.FromRows(prompts, padId, Device);
        var cache = PrefixCache.Build(model, inputs);
        // Rows grouped by prompt into [B, R] slots; a prompt with fewer rows is padded with rows that change nothing.
        var byPrompt = Enumerable.Range(0, b).Select(_ => new List<int>()).ToList();
        for (int i = 0; i < rows.Count; i++)
            byPrompt[rows[i].Prompt].Add(i);
        int r = byPrompt.Max(l => l.Count);
        var slotRow = new int[b * r];
        Array.Fill(slotRow, -1);
        for (int p = 0; p < b; p++)
            for (int k = 0; k < byPrompt[p].Count; k++)
                slotRow[p * r + k] = byPrompt[p][k];
        NeuronSet SetAt(int slot) => slotRow[slot] < 0 ? NeuronSet.Empty : rows[slotRow[slot]].Set;
        var multipliers = NeuronSetScale.Multipliers(
            Enumerable.Range(0, b * r).Select(i => SetAt(i).Layers).ToList(),
            Enumerable.Range(0, b * r).Select(i => SetAt(i).Units).ToList(),
            Enumerable.Range(0, b * r).Select(i => slotRow[i] < 0 ? 1.0 : rows[slotRow[i]].Alpha).ToList(),
            model.FfnWidth, Device);
        var dtype = cache.Hidden.dtype;
        Tensor Scale(int layer, Tensor act) =>                                            // act [B, R, 1, ffn]
            multipliers.TryGetValue(layer, out var m) ? act * m.to_type(dtype).view(b, r, 1, -1) : act;

        var promptRows = arange(b, device: Device);
        var pred = tensor(positions.Select(p => (long)p).ToArray(), device: Device);
        Tensor hidden;
        if (multipliers.Count == 0)
            hidden = cache.Hidden[promptRows, pred].view(b, 1, 1, -1).expand(b, r, 1, -1);
        else
        {
            int first = multipliers.Keys.Min();
            var trace = cache.Layers[first];
            var xMid = trace.XMid[promptRows, pred].view(b, 1, 1, -1).expand(b, r, 1, -1);
            var act = trace.Activation[promptRows, pred].view(b, 1, 1, -1).expand(b, r, 1, -1);
            var x = model.FfnOutput(first, xMid, Scale(first, act));
            hidden = cache.RunSlots(first + 1, x, pred, pred.view(b, 1), Scale);
        }
        var logits = model.Head(model.FinalHidden(hidden.reshape(b * r, -1)));           // [B·R, V]
        var ids = tensor(Enumerable.Range(0, b * r).Select(i => (long)targets[i / r]).ToArray(), device: Device);
        var slotProbs = logits.to_type(ScalarType.Float32).softmax(-1).gather(1, ids.unsqueeze(1)).squeeze(1);
        var order = new long[rows.Count];
        for (int i = 0; i < slotRow.Length; i++)
            if (slotRow[i] >= 0)
                order[slotRow[i]] = i;
        return slotProbs.index_select(0, tensor(order, device: Device));
    }

    /// <summary>
    /// Δprob as every <c>*_dprob*</c> figure uses it: the relative change (p_after − p_before) / p_before, averaged
    /// over the evaluated queries by the caller (Dai et al.'s measure).
    /// </summary>
    public static double RelativeChange(double before, double after) => Dprob.Of(before, after);
}
