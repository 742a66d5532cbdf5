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
/// columns drawn at random is the control; the labelled variant <c>subject</c> scales the subject's token columns
/// instead. The change in target probability and in the query's coarse-KN activations
/// at the prediction position is measured. Full passes: with <c>rows: prediction</c> a prefix cache could serve the
/// last row only, but every layer's columns are scaled at once here, so one full pass per variant costs no more.
/// Runs on the device thread; the model is never modified.
/// </summary>
public sealed class SynapseProbe(TransformerLM model, int padId, SynapseOptions options, long seed,
    IReadOnlySet<int> specialIds, int batchSize = 32)
{
    public const string TopK = "top_k";

    /// <summary>The labelled variant: the subject's token columns (the same in every head), and as many random other
    /// columns as the control.</summary>
    public const string Subject = "subject";

    /// <summary>Queries skipped because the prompt has too few other columns for a disjoint random control.</summary>
    public const string SkipReason = "synapse_short_prompt";

    /// <summary>Queries the subject variant skips: no subject column a head may choose (tokenization found no
    /// span, or the subject is only the prediction or special first token), or too few others for a control.
    /// </summary>
    public const string SubjectSkipReason = "synapse_subject_unusable";

    public (List<SynapseRecord> Records, List<SynapseHeatmapRecord> Heatmaps, SortedDictionary<string, long> Skipped)
        Run(IReadOnlyList<SynapseQuery> queries)
    {
        var records = new List<SynapseRecord>();
        var heatmaps = new List<SynapseHeatmapRecord>();
        var skipped = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var batch in queries.Chunk(batchSize))
            RunBatch(batch, records, heatmaps, skipped);
        return (records, heatmaps, skipped);
    }

    private Device Device => model.HeadWeight.device;

    private void RunBatch(SynapseQuery[] batch, List<SynapseRecord> records, List<SynapseHeatmapRecord> heatmaps,
        SortedDictionary<string, long> skipped)
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

        foreach (string variant in new[] { TopK, Subject })
        {
            // Columns per (query, layer, head): the variant's choice, and the control drawn from the rest.
            var chosen = new bool[b, layers, heads, t];
            var control = new bool[b, layers, heads, t];
            var columns = new int[b];
            for (int i = 0; i < b; i++)
            {
                var q = batch[i].Query;
                var eligible = Eligible(q.InputIds, positionList[i], model.IsCausal, specialIds);
                var subject = variant == Subject ? SubjectColumns(q, eligible) : [];
                int k = variant == TopK ? options.TopK : subject.Count;
                if (k == 0 || eligible.Count - k < k)
                {
                    // Too short a prompt for a disjoint control, or (subject variant) no subject column to scale.
                    string reason = variant == TopK ? SkipReason : SubjectSkipReason;
                    skipped[reason] = skipped.GetValueOrDefault(reason) + 1;
                    continue;
                }
                for (int l = 0; l < layers; l++)
                    for (int h = 0; h < heads; h++)
                    {
                        var row = attBefore[l];
                        var pick = variant == TopK ? TopColumns(eligible, c => row[i, h, c], k) : subject;
                        foreach (int c in pick)
                            chosen[i, l, h, c] = true;
                        var rest = eligible.Except(pick).ToList();
                        var random = new Random((int)(StableHash.Seeded(seed, $"{q.QueryId}|{l}|{h}|{variant}")
                                                      & 0x7fffffff));
                        for (int j = 0; j < k; j++)
                        {
                            int r = random.Next(rest.Count);
                            control[i, l, h, rest[r]] = true;
                            rest.RemoveAt(r);
                        }
                    }
                columns[i] = layers * heads * k;
            }
            if (columns.All(c => c == 0))
                continue;
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
                        if (columns[i] == 0)
                            continue;
                        var q = batch[i].Query;
                        records.Add(new SynapseRecord(q.QueryId, q.FactId, q.Relation, q.Language, q.TemplateId,
                            q.Split, batch[i].Method, variant, isControl, alpha, columns[i], batch[i].Kns.Count,
                            pBefore[i], pAfter[i], Dact(batch[i].Kns, actBefore, actAfter, i)));
                        if (batch[i].Heatmap && variant == TopK && a == 0 && !isControl)
                            heatmaps.AddRange(Heatmap(batch[i], alpha, attBefore, attAfter, actBefore, actAfter, i));
                    }
                }
            }
        }
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

    /// <summary>The subject's token columns a head may choose (empty when tokenization found no span).</summary>
    public static List<int> SubjectColumns(TokenizedQueryRecord q, IReadOnlyCollection<int> eligible) =>
        q.SubjectTokenStart < 0 ? []
            : Enumerable.Range(q.SubjectTokenStart, q.SubjectTokenEnd - q.SubjectTokenStart)
                .Where(eligible.Contains).ToList();

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
