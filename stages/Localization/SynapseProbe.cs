using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Localization;

/// <summary>One query whose attention the synapse probe scales, with the KNs whose activations it follows.</summary>
public sealed record SynapseQuery(TokenizedQueryRecord Query, string Method, NeuronSet Kns, bool Heatmap);

/// <summary>
/// QL's knowledge synapses (docs/architecture.md, Query localization; the paper states none of the values, so they
/// are ours): at every head of every layer, the top-k key columns of the prediction row's attention (never the
/// prediction column, never position 0 when it holds a special token) are scaled by α, and the same number of other
/// columns drawn at random is the control. The change in target probability and in the query's coarse-KN activations
/// at the prediction position is measured. Full passes: with <c>rows: prediction</c> a prefix cache could serve the
/// last row only, but every layer's columns are scaled at once here, so one full pass per variant costs no more.
/// Runs on the device thread; the model is never modified.
/// </summary>
public sealed class SynapseProbe(TransformerLM model, int padId, SynapseOptions options, long seed,
    IReadOnlySet<int> specialIds, int batchSize = 32)
{
    public const string TopK = "top_k";

    /// <summary>Queries skipped because the prompt has too few other columns for a disjoint random control.</summary>
    public const string SkipReason = "synapse_short_prompt";

    public (List<SynapseRecord> Records, List<SynapseHeatmapRecord> Heatmaps, int Skipped) Run(
        IReadOnlyList<SynapseQuery> queries)
    {
        var records = new List<SynapseRecord>();
        var heatmaps = new List<SynapseHeatmapRecord>();
        int skipped = 0;
        foreach (var batch in queries.Chunk(batchSize))
            skipped += RunBatch(batch, records, heatmaps);
        return (records, heatmaps, skipped);
    }

    private Device Device => model.HeadWeight.device;

    private int RunBatch(SynapseQuery[] batch, List<SynapseRecord> records, List<SynapseHeatmapRecord> heatmaps)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        int b = batch.Length, layers = model.NumLayers;
        var prompts = batch.Select(x => x.Query.InputIds).ToList();
        var inputs = ForwardInputs.FromRows(prompts, padId, Device);
        long t = inputs.InputIds.shape[1];
        var positionList = batch.Select(x => x.Query.PredictionPositions[0]).ToArray();
        var pos = tensor(positionList.Select(p => (long)p).ToArray(), device: Device);
        var targets = tensor(batch.Select(x => (long)x.Query.TargetIds[0]).ToArray(), device: Device);

        var (pBefore, actBefore, attBefore) = Pass(inputs, pos, targets, null);
        var heads = attBefore[0].GetLength(1);

        // Columns per (query, layer, head): chosen by weight, and the control drawn from the rest.
        var chosen = new bool[b, layers, heads, t];
        var control = new bool[b, layers, heads, t];
        var usable = new bool[b];
        int skipped = 0;
        for (int i = 0; i < b; i++)
        {
            var eligible = Eligible(batch[i].Query.InputIds, positionList[i], model.IsCausal, specialIds);
            usable[i] = eligible.Count >= 2 * options.TopK;
            if (!usable[i])
            {
                skipped++;
                continue;
            }
            for (int l = 0; l < layers; l++)
                for (int h = 0; h < heads; h++)
                {
                    var row = attBefore[l];
                    var top = TopColumns(eligible, c => row[i, h, c], options.TopK);
                    foreach (int c in top)
                        chosen[i, l, h, c] = true;
                    var rest = eligible.Except(top).ToList();
                    var random = new Random((int)(StableHash.Seeded(seed, $"{batch[i].Query.QueryId}|{l}|{h}|synapse")
                                                  & 0x7fffffff));
                    for (int k = 0; k < options.TopK; k++)
                    {
                        int pick = random.Next(rest.Count);
                        control[i, l, h, rest[pick]] = true;
                        rest.RemoveAt(pick);
                    }
                }
        }
        if (!usable.Any(u => u))
            return skipped;
        int columns = layers * heads * options.TopK;
        for (int a = 0; a < options.Alphas.Count; a++)
        {
            double alpha = options.Alphas[a];
            foreach (bool isControl in new[] { false, true })
            {
                var masks = Masks(isControl ? control : chosen, b, layers, heads, t);
                var scale = new AttentionHeadColumnScale(masks, pos, alpha, options.Rows == SynapseRows.All,
                    options.Renormalize);
                var (pAfter, actAfter, attAfter) = Pass(inputs, pos, targets, scale);
                for (int i = 0; i < b; i++)
                {
                    if (!usable[i])
                        continue;
                    var q = batch[i].Query;
                    records.Add(new SynapseRecord(q.QueryId, q.FactId, q.Relation, q.Language, q.TemplateId, q.Split,
                        batch[i].Method, TopK, isControl, alpha, columns, batch[i].Kns.Count, pBefore[i], pAfter[i],
                        Dact(batch[i].Kns, actBefore, actAfter, i)));
                    if (batch[i].Heatmap && a == 0 && !isControl)
                        heatmaps.AddRange(Heatmap(batch[i], alpha, attBefore, attAfter, actBefore, actAfter, i));
                }
            }
        }
        return skipped;
    }

    /// <summary>Key columns a head may choose: the prompt's positions the prediction row sees (a causal LM's row sees
    /// up to itself), minus the prediction column and a special token at position 0.</summary>
    public static List<int> Eligible(int[] inputIds, int position, bool causal, IReadOnlySet<int> specialIds)
    {
        int last = causal ? position : inputIds.Length - 1;
        var list = new List<int>();
        for (int c = 0; c <= last; c++)
            if (c != position && !(c == 0 && specialIds.Contains(inputIds[0])))
                list.Add(c);
        return list;
    }

    /// <summary>The k eligible columns of highest weight (ties by position).</summary>
    public static List<int> TopColumns(IEnumerable<int> eligible, Func<int, float> weight, int k) =>
        eligible.OrderByDescending(weight).ThenBy(c => c).Take(k).ToList();

    private Dictionary<int, Tensor> Masks(bool[,,,] chosen, int b, int layers, int heads, long t)
    {
        var masks = new Dictionary<int, Tensor>();
        for (int l = 0; l < layers; l++)
        {
            var flat = new bool[b * heads * t];
            for (int i = 0; i < b; i++)
                for (int h = 0; h < heads; h++)
                    for (int c = 0; c < t; c++)
                        flat[(i * heads + h) * t + c] = chosen[i, l, h, c];
            masks[l] = tensor(flat, device: Device).view(b, heads, t);
        }
        return masks;
    }

    /// <summary>One pass: target probabilities [B], activations at the prediction position per layer [B, ffn] and
    /// the prediction row's attention per layer [B, H, T], all on the CPU as float.</summary>
    private (double[] P, float[][,] Act, float[][,,] Att) Pass(ForwardInputs inputs, Tensor pos, Tensor targets,
        IForwardInterceptor? scale)
    {
        var attention = new AttentionCapture();
        var activation = new ActivationCapture(pos);
        IForwardInterceptor chain = scale is null
            ? new InterceptorChain(attention, activation)
            : new InterceptorChain(scale, attention, activation);
        var logits = model.Logits(inputs, pos, chain);
        var p = logits.to_type(ScalarType.Float32).softmax(-1).gather(1, targets.unsqueeze(1)).squeeze(1)
            .to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        int layers = model.NumLayers;
        var act = new float[layers][,];
        var att = new float[layers][,,];
        long b = pos.shape[0];
        var rows = arange(b, device: pos.device);
        for (int l = 0; l < layers; l++)
        {
            var a = activation.Activations[l].to_type(ScalarType.Float32).cpu();
            act[l] = new float[b, a.shape[1]];
            var ad = a.data<float>().ToArray();
            Buffer.BlockCopy(ad, 0, act[l], 0, ad.Length * sizeof(float));
            // [B, H, Tq, Tk] → the prediction row of each query: [B, H, Tk].
            var probs = attention.Probabilities[l].permute(0, 2, 1, 3)[rows, pos].to_type(ScalarType.Float32).cpu();
            att[l] = new float[b, probs.shape[1], probs.shape[2]];
            var pd = probs.data<float>().ToArray();
            Buffer.BlockCopy(pd, 0, att[l], 0, pd.Length * sizeof(float));
        }
        return (p, act, att);
    }

    /// <summary>The mean over the KNs of (a_after − a_before) / |a_before|; KNs whose activation was exactly 0 are
    /// left out (a relative change of 0 is undefined), NaN when none is left.</summary>
    private static double Dact(NeuronSet kns, float[][,] before, float[][,] after, int i)
    {
        double sum = 0;
        int n = 0;
        foreach (var (layer, unit) in kns.Pairs)
        {
            double a0 = before[layer][i, unit], a1 = after[layer][i, unit];
            if (a0 == 0)
                continue;
            sum += (a1 - a0) / Math.Abs(a0);
            n++;
        }
        return n == 0 ? double.NaN : sum / n;
    }

    private IEnumerable<SynapseHeatmapRecord> Heatmap(SynapseQuery x, double alpha, float[][,,] attBefore,
        float[][,,] attAfter, float[][,] actBefore, float[][,] actAfter, int i)
    {
        var q = x.Query;
        int len = q.InputIds.Length, heads = attBefore[0].GetLength(1);
        for (int l = 0; l < model.NumLayers; l++)
        {
            float[] MeanRow(float[,,] att) => Enumerable.Range(0, len)
                .Select(c => Enumerable.Range(0, heads).Average(h => att[i, h, c])).ToArray();
            var units = x.Kns.Pairs.Where(p => p.Layer == l).Select(p => p.Unit).ToArray();
            yield return new SynapseHeatmapRecord(q.QueryId, q.FactId, q.Relation, q.Language, q.TemplateId, alpha, l,
                q.InputIds, MeanRow(attBefore[l]), MeanRow(attAfter[l]), units,
                units.Select(u => actBefore[l][i, u]).ToArray(), units.Select(u => actAfter[l][i, u]).ToArray());
        }
    }
}
