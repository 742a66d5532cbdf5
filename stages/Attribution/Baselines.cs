using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Records;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Attribution;

/// <summary>
/// AMIG's baseline (docs/architecture.md, Definitions): for each query, the mean activation at the prediction position
/// over copies of the prompt with one token replaced by [MASK] (MLMs) or end-of-text (causal LMs). Every position is
/// replaced in turn except special tokens (BOS, CLS, SEP, pads) and, for MLMs, the masks themselves. Computed per batch
/// with no-grad passes over the copies of many queries at once (<see cref="RowsPerPass"/>).
/// </summary>
public sealed class AmigBaseline(TransformerLM model, int replacementId, IReadOnlySet<int> specialIds, int padId)
    : IBaselineProvider
{
    private readonly Dictionary<(string, int), float[]> _values = new();

    /// <summary>
    /// Most copies per no-grad pass: the copies of many queries share a pass, so its ops' dispatch cost is paid once,
    /// and the cap bounds the pass's memory. Measured on the default 6-layer model with the machine near idle, 24
    /// facts: amig alone 35.8 queries/s against dai's 40.0, so its baseline passes cost about a tenth of its time;
    /// one pass per query had run the default run's first 927 queries at 13.8 queries/s for both methods, and shared
    /// passes 13.9, both under load (not a measured speed-up).
    /// </summary>
    public const int RowsPerPass = 512;

    public void Prepare(IReadOnlyList<AttributionQuery> queries, IReadOnlyList<int> layers)
    {
        _values.Clear();
        var pending = new List<(AttributionQuery Query, List<int[]> Copies)>();
        int rows = 0;
        foreach (var q in queries)
        {
            var copies = Copies(q);
            // Queries in order, a pass full before the next starts: the passes are a function of the batch alone.
            if (pending.Count > 0 && rows + copies.Count > RowsPerPass)
            {
                Pass(pending, layers);
                pending.Clear();
                rows = 0;
            }
            pending.Add((q, copies));
            rows += copies.Count;
        }
        if (pending.Count > 0)
            Pass(pending, layers);
    }

    private List<int[]> Copies(AttributionQuery q)
    {
        var copies = new List<int[]>();
        for (int i = 0; i < q.InputIds.Length; i++)
        {
            int id = q.InputIds[i];
            if (specialIds.Contains(id) || (!model.IsCausal && id == replacementId))
                continue;
            var c = (int[])q.InputIds.Clone();
            c[i] = replacementId;
            copies.Add(c);
        }
        if (copies.Count == 0)
            copies.Add(q.InputIds);
        return copies;
    }

    /// <summary>One no-grad pass over the copies of several queries; each query's mean over its own rows.</summary>
    private void Pass(IReadOnlyList<(AttributionQuery Query, List<int[]> Copies)> group, IReadOnlyList<int> layers)
    {
        using var scope = NewDisposeScope();
        var device = model.HeadWeight.device;
        var all = group.SelectMany(g => g.Copies).ToList();
        bool types = !model.IsCausal && group.Any(g => g.Query.TokenTypeIds is not null);
        var inputs = ForwardInputs.FromRows(all, padId, device, types
            ? group.SelectMany(g => Enumerable.Repeat(g.Query.TokenTypeIds ?? new int[g.Query.InputIds.Length],
                g.Copies.Count)).ToList()
            : null);
        var positions = tensor(group.SelectMany(g => Enumerable.Repeat((long)g.Query.PredictionPosition,
            g.Copies.Count)).ToArray(), device: device);
        var capture = new ActivationCapture(positions, layers.ToList());
        using (no_grad())
            model.ForwardHidden(inputs, capture);
        foreach (int l in layers)
        {
            var act = capture.Activations[l];
            long start = 0;
            foreach (var (q, copies) in group)
            {
                _values[(q.Id, l)] = act.narrow(0, start, copies.Count).mean([0L]).to_type(ScalarType.Float32).cpu()
                    .data<float>().ToArray();
                start += copies.Count;
            }
        }
    }

    public float[]? Baseline(AttributionQuery query, int layer) =>
        _values.TryGetValue((query.Id, layer), out var v)
            ? v
            : throw new InvalidOperationException($"AMIG baseline not prepared for query {query.Id}");
}

/// <summary>
/// The dataset-mean baseline: the mean activation at the prediction position over one language's queries, per layer.
/// Accumulated once per run (<see cref="Add"/>), then saved in the run folder and reused on resume.
/// </summary>
public sealed class DatasetMeanBaseline : IBaselineProvider
{
    private readonly Dictionary<(string Language, int Layer), (double[] Sum, long Count)> _acc = new();
    private readonly Func<AttributionQuery, string> _languageOf;

    public DatasetMeanBaseline(Func<AttributionQuery, string> languageOf)
    {
        _languageOf = languageOf;
    }

    /// <summary>
    /// The means over the queries of <paramref name="batches"/> (every planned query of a run), from one no-grad
    /// pass per batch that captures each layer's activation at the prediction position. The caller forms the
    /// batches, because their shapes decide the float sums: a resumed run must form the same ones.
    /// </summary>
    public static DatasetMeanBaseline Compute(TransformerLM model, int padId,
        IEnumerable<TokenizedQueryRecord[]> batches, Func<AttributionQuery, string> languageOf)
    {
        var mean = new DatasetMeanBaseline(languageOf);
        var layers = Enumerable.Range(0, model.NumLayers).ToList();
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            var inputs = ForwardInputs.FromRows(batch.Select(r => r.InputIds).ToList(), padId, model.HeadWeight.device);
            var pos = tensor(batch.Select(r => (long)r.PredictionPositions[0]).ToArray());
            var capture = new ActivationCapture(pos, layers);
            using (no_grad())
                model.ForwardHidden(inputs, capture);
            foreach (int l in layers)
                for (int i = 0; i < batch.Length; i++)
                    mean.Add(batch[i].Language, l, capture.Activations[l][i].cpu().data<float>().ToArray());
        }
        return mean;
    }

    public void Add(string language, int layer, float[] activation)
    {
        if (!_acc.TryGetValue((language, layer), out var a))
            a = (new double[activation.Length], 0);
        for (int i = 0; i < activation.Length; i++)
            a.Sum[i] += activation[i];
        _acc[(language, layer)] = (a.Sum, a.Count + 1);
    }

    public float[]? Baseline(AttributionQuery query, int layer) =>
        _acc.TryGetValue((_languageOf(query), layer), out var a) && a.Count > 0
            ? a.Sum.Select(x => (float)(x / a.Count)).ToArray()
            : throw new InvalidOperationException(
                $"no dataset-mean baseline for language {_languageOf(query)}, layer {layer}");

    /// <summary>Writes the means as JSON lines {language, layer, count, mean[]} in a stable order.</summary>
    public void Save(string path)
    {
        var lines = _acc.OrderBy(k => k.Key.Language, StringComparer.Ordinal).ThenBy(k => k.Key.Layer)
            .Select(k => System.Text.Json.JsonSerializer.Serialize(new
            {
                language = k.Key.Language, layer = k.Key.Layer, count = k.Value.Count,
                mean = k.Value.Sum.Select(x => (float)(x / k.Value.Count)).ToArray(),
            }));
        string tmp = path + ".tmp";
        File.WriteAllLines(tmp, lines);
        File.Move(tmp, path, true);
    }

    public static DatasetMeanBaseline Load(string path, Func<AttributionQuery, string> languageOf)
    {
        var b = new DatasetMeanBaseline(languageOf);
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(text);
                var r = doc.RootElement;
                long count = r.GetProperty("count").GetInt64();
                var mean = r.GetProperty("mean").EnumerateArray().Select(x => x.GetDouble() * count).ToArray();
                b._acc[(r.GetProperty("language").GetString()!, r.GetProperty("layer").GetInt32())] = (mean, count);
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException
                or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}:{line}: malformed dataset-mean baseline ({e.Message})");
            }
        }
        return b;
    }
}
