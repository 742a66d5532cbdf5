using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Options;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Training;

/// <summary>
/// Trains the embedded GPT-2 (CONVENTIONS §2f): AdamW (betas 0.9/0.98, weight decay on matrices only), gradient
/// norm clipped at 1, linear warm-up then cosine decay to 10% of the peak rate, length-bucketed batches in a seeded
/// order, next-token cross-entropy on every token with object tokens weighted by <c>object_weight</c>, and an early
/// stop once the first-token accuracy on a sample of training prompts reaches <c>target_accuracy</c> in every
/// language. Deterministic on one machine: weights are drawn from a seeded generator, batch order from a seeded
/// <see cref="Random"/>, and the libtorch thread count is fixed for the run (CPU kernels then reduce in a fixed order).
/// </summary>
public static class EmbeddedTrainer
{
    public const double Beta1 = 0.9, Beta2 = 0.98, ClipNorm = 1.0, FinalLearningRateFraction = 0.1, InitStd = 0.02;

    /// <summary>Rows per length-sorted bucket, in batches: large enough for little padding, small enough to mix.</summary>
    private const int BucketBatches = 16;

    /// <summary>The GPT-2 config.json of the embedded model (Hugging Face keys).</summary>
    public static JsonObject ModelConfigJson(EmbeddedModelOptions o, int vocabSize, int eosId, int maxPositions) => new()
    {
        ["architectures"] = new JsonArray("GPT2LMHeadModel"),
        ["model_type"] = "gpt2",
        ["vocab_size"] = vocabSize,
        ["n_positions"] = maxPositions,
        ["n_ctx"] = maxPositions,
        ["n_embd"] = o.DModel,
        ["n_layer"] = o.Layers,
        ["n_head"] = o.Heads,
        ["n_inner"] = o.Ffn,
        ["activation_function"] = "gelu_new",
        ["layer_norm_epsilon"] = 1e-5,
        ["initializer_range"] = InitStd,
        ["resid_pdrop"] = 0.0,
        ["embd_pdrop"] = 0.0,
        ["attn_pdrop"] = 0.0,
        ["tie_word_embeddings"] = true,
        ["bos_token_id"] = eosId,
        ["eos_token_id"] = eosId,
    };

    /// <summary>Trains a new model on <paramref name="rows"/>; <paramref name="probe"/> is the early-stopping sample.</summary>
    public static (TransformerLM Model, TrainingStats Stats) Train(
        IReadOnlyList<TrainingRow> rows, IReadOnlyDictionary<string, List<PromptScorer.Query>> probe, ModelConfig config,
        int padId, EmbeddedModelOptions o, EmbeddedTrainingScope scope, IProgress<TrainingProgress>? progress,
        CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        torch.manual_seed(o.Seed);
        var model = ModelLoader.Create(config);
        Initialize(model, o.Seed);
        model.train();
        foreach (var p in model.parameters())
            p.requires_grad = true;

        var named = model.named_parameters().ToList();
        var groups = new[]
        {
            new AdamW.ParamGroup(named.Where(p => p.parameter.dim() >= 2).Select(p => p.parameter), o.LearningRate,
                                 Beta1, Beta2, 1e-8, o.WeightDecay),
            new AdamW.ParamGroup(named.Where(p => p.parameter.dim() < 2).Select(p => p.parameter), o.LearningRate,
                                 Beta1, Beta2, 1e-8, 0.0),
        };
        using var optimizer = optim.AdamW(groups, o.LearningRate, Beta1, Beta2, 1e-8, o.WeightDecay);

        var random = new Random(o.Seed);
        int stepsPerEpoch = (rows.Count + o.BatchSize - 1) / o.BatchSize;
        int total = stepsPerEpoch * o.MaxEpochs;
        if (scope.MaxSteps is int cap)
            total = Math.Min(total, cap);
        int warmup = Math.Max(1, (int)Math.Round(o.WarmupFraction * total));
        int step = 0, epoch = 0;
        double lastEpochLoss = double.NaN;
        var log = new List<EpochRecord>();
        bool reached = false;
        while (epoch < o.MaxEpochs && step < total && !reached)
        {
            epoch++;
            double lossSum = 0;
            int lossSteps = 0;
            foreach (var batch in Batches(rows, o.BatchSize, random))
            {
                if (step >= total)
                    break;
                ct.ThrowIfCancellationRequested();
                double lr = LearningRate(step, total, warmup, o.LearningRate);
                foreach (var g in optimizer.ParamGroups)
                    g.LearningRate = lr;
                double loss = Step(model, optimizer, batch, padId, o.ObjectWeight, random);
                step++;
                lossSum += loss;
                lossSteps++;
                progress?.Report(new TrainingProgress(epoch, o.MaxEpochs, step, total, lossSum / lossSteps, clock.Elapsed));
            }
            lastEpochLoss = lossSum / Math.Max(1, lossSteps);
            var accuracy = ProbeAccuracy(model, probe, padId);
            model.train();
            reached = accuracy.Count > 0 && accuracy.Values.All(a => a >= o.TargetAccuracy);
            log.Add(new EpochRecord(epoch, step, lastEpochLoss, clock.Elapsed.TotalSeconds, accuracy));
            progress?.Report(new TrainingProgress(epoch, o.MaxEpochs, step, total, lastEpochLoss, clock.Elapsed,
                $"epoch {epoch}: loss {lastEpochLoss.ToString("F4", CultureInfo.InvariantCulture)}, sampled train top-1 " +
                string.Join(" ", accuracy.Select(kv => $"{kv.Key} {kv.Value.ToString("F3", CultureInfo.InvariantCulture)}")) +
                (reached ? $" (all >= {o.TargetAccuracy.ToString(CultureInfo.InvariantCulture)}: stopping)" : "")));
        }
        model.Freeze();
        return (model, new TrainingStats(epoch, step, lastEpochLoss, clock.Elapsed.TotalSeconds, reached, log));
    }

    /// <summary>GPT-2's initialisation: N(0, 0.02) weights, output projections scaled by 1/√(2·layers), zero biases, unit norms.</summary>
    public static void Initialize(TransformerLM model, int seed)
    {
        var gen = new Generator((ulong)seed);
        double projStd = InitStd / Math.Sqrt(2.0 * model.NumLayers);
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.Contains(".ln_", StringComparison.Ordinal) && name.EndsWith(".weight", StringComparison.Ordinal))
                p.fill_(1.0);
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
                p.zero_();
            else
                p.copy_(randn(p.shape, generator: gen) * (name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? projStd : InitStd));
        }
    }

    /// <summary>Warm-up from lr/warmup to lr, then cosine decay to 10% of lr at the last planned step.</summary>
    public static double LearningRate(int step, int total, int warmup, double peak)
    {
        if (step < warmup)
            return peak * (step + 1) / warmup;
        double progress = total > warmup ? (double)(step - warmup) / (total - warmup) : 1;
        return peak * (FinalLearningRateFraction + (1 - FinalLearningRateFraction) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }

    /// <summary>
    /// One epoch's batches: rows shuffled, cut into buckets of <see cref="BucketBatches"/> batches, each bucket sorted
    /// by length (stable) and cut into batches, and the batches shuffled. All randomness comes from <paramref name="random"/>.
    /// </summary>
    public static List<TrainingRow[]> Batches(IReadOnlyList<TrainingRow> rows, int batchSize, Random random)
    {
        var order = Enumerable.Range(0, rows.Count).ToArray();
        random.Shuffle(order);
        var batches = new List<TrainingRow[]>();
        int bucket = batchSize * BucketBatches;
        for (int from = 0; from < order.Length; from += bucket)
        {
            var sorted = order.Skip(from).Take(bucket).Select(i => rows[i]).OrderBy(r => r.Ids.Length).ToArray();
            for (int b = 0; b < sorted.Length; b += batchSize)
                batches.Add(sorted.Skip(b).Take(batchSize).ToArray());
        }
        var shuffled = batches.ToArray();
        random.Shuffle(shuffled);
        return [.. shuffled];
    }

    private static readonly double DebugClip = double.Parse(Environment.GetEnvironmentVariable("KN_CLIP") ?? "1.0", System.Globalization.CultureInfo.InvariantCulture);

    private static readonly bool DebugPack = Environment.GetEnvironmentVariable("KN_PACK") != null;

    /// <summary>Sentences of a batch laid into sequences of at most <paramref name="maxLength"/> tokens.</summary>
    public static List<(int[] Ids, bool[] IsObject)> Pack(TrainingRow[] batch, int maxLength, bool pack)
    {
        var sequences = new List<(int[], bool[])>();
        var ids = new List<int>();
        var obj = new List<bool>();
        foreach (var r in batch)
        {
            if (ids.Count > 0 && (!pack || ids.Count + r.Ids.Length > maxLength))
            {
                sequences.Add((ids.ToArray(), obj.ToArray()));
                ids.Clear();
                obj.Clear();
            }
            ids.AddRange(r.Ids);
            for (int j = 0; j < r.Ids.Length; j++)
                obj.Add(j >= r.ObjectStart && j < r.ObjectStart + r.ObjectLength);
        }
        if (ids.Count > 0)
            sequences.Add((ids.ToArray(), obj.ToArray()));
        return sequences;
    }

    private static readonly bool DebugShift = Environment.GetEnvironmentVariable("KN_SHIFT") != null;

    private static double Step(TransformerLM model, OptimizerHelper optimizer, TrainingRow[] batch, int padId, double objectWeight, Random random)
    {
        using var scope = NewDisposeScope();
        var seqs = Pack(batch, model.Config.MaxPositions, DebugPack);
        int b = seqs.Count, t = seqs.Max(r => r.Ids.Length);
        var ids = new long[b * t];
        var pos = new long[b * t];
        for (int i = 0; i < b; i++)
        {
            int room = model.Config.MaxPositions - seqs[i].Ids.Length;
            int off = DebugShift && room > 0 && random.Next(2) == 1 ? random.Next(room + 1) : 0;
            for (int j = 0; j < t; j++)
                pos[i * t + j] = Math.Min(off + j, model.Config.MaxPositions - 1);
        }
        var picks = new List<long>();
        var targets = new List<long>();
        var weights = new List<float>();
        for (int i = 0; i < b; i++)
        {
            var (rIds, isObj) = seqs[i];
            for (int j = 0; j < t; j++)
                ids[i * t + j] = j < rIds.Length ? rIds[j] : padId;
            // Position j predicts token j + 1; the object's tokens are weighted.
            for (int j = 0; j + 1 < rIds.Length; j++)
            {
                picks.Add(i * t + j);
                targets.Add(rIds[j + 1]);
                weights.Add(isObj[j + 1] ? (float)objectWeight : 1f);
            }
        }
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var device = model.InputEmbedding.device;
        // Right padding under a causal mask: real positions never attend to pads, so no attention mask is needed.
        var hidden = model.FinalHidden(model.ForwardHidden(new ForwardInputs { InputIds = tensor(ids, [b, t], device: device), PositionIds = tensor(pos, [b, t], device: device) }));
        var picked = hidden.reshape(b * t, -1).index_select(0, tensor(picks.ToArray(), device: device));
        var logits = model.Head(picked);
        var ce = nn.functional.cross_entropy(logits, tensor(targets.ToArray(), device: device), reduction: nn.Reduction.None);
        var w = tensor(weights.ToArray(), device: device);
        var loss = (ce * w).sum() / w.sum();
        loss.item<float>(); var tf = sw.Elapsed.TotalMilliseconds;
        optimizer.zero_grad();
        loss.backward(); var tb = sw.Elapsed.TotalMilliseconds;
        double norm = nn.utils.clip_grad_norm_(model.parameters(), DebugClip);
        if (Environment.GetEnvironmentVariable("KN_DEBUG_NORM") != null && Random.Shared.Next(20) == 0) Console.Error.WriteLine($"norm {norm:F3}");
        optimizer.step(); var ts = sw.Elapsed.TotalMilliseconds;
        if (Environment.GetEnvironmentVariable("KN_TIME") != null) Console.Error.WriteLine($"B{b} T{t} N{picks.Count} fwd {tf:F0} bwd {tb-tf:F0} step {ts-tb:F0}");
        return loss.item<float>();
    }

    private static Dictionary<string, double> ProbeAccuracy(TransformerLM model,
        IReadOnlyDictionary<string, List<PromptScorer.Query>> probe, int padId)
    {
        model.eval();
        var result = new Dictionary<string, double>();
        foreach (var (lang, queries) in probe)
            if (queries.Count > 0)
                result[lang] = PromptScorer.Run(model, queries, padId).Count(s => s.FirstToken) / (double)queries.Count;
        return result;
    }
}

/// <summary>One epoch in training.json: steps so far, mean loss, seconds so far, sampled training accuracy.</summary>
public sealed record EpochRecord(int Epoch, int Steps, double Loss, double Seconds, IReadOnlyDictionary<string, double> SampledTrainAccuracy);

/// <summary>What a training run did.</summary>
public sealed record TrainingStats(int Epochs, int Steps, double FinalLoss, double Seconds, bool ReachedTarget,
                                   IReadOnlyList<EpochRecord> Log);
