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
/// Trains the embedded GPT-2 (stages/Training/README.md): AdamW (betas 0.9/0.98, weight decay on matrices only),
/// gradient norm clipped at 1, linear warm-up then cosine decay to 10% of the peak rate, length-bucketed batches in a
/// seeded order, next-token cross-entropy on every token with object tokens weighted by <c>object_weight</c>, and an
/// early stop once the first-token accuracy on a sample of training prompts reaches <c>target_accuracy</c> in every
/// language. Deterministic on one machine: weights are drawn from a seeded generator, batch order from a seeded
/// <see cref="Random"/>, and the libtorch thread count is fixed for the run (CPU kernels then reduce in a fixed order).
/// </summary>
public static class EmbeddedTrainer
{
    public const double Beta1 = 0.9, Beta2 = 0.98, ClipNorm = 1.0, FinalLearningRateFraction = 0.1, InitStd = 0.02;

    /// <summary>Rows per length-sorted bucket, in batches: large enough for little padding, small enough to
    /// mix.</summary>
    private const int BucketBatches = 16;

    /// <summary>The GPT-2 config.json of the embedded model (Hugging Face keys).</summary>
    public static JsonObject ModelConfigJson(EmbeddedModelOptions o, int vocabSize, int eosId,
        int maxPositions) => new()
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

    /// <summary>
    /// Trains a new model on <paramref name="rows"/>. Early stopping checks <paramref name="stopping"/>'s sample of
    /// training prompts twice per epoch; when every language reaches the target there, all training prompts are
    /// checked, and training stops only if they reach it too (a sample of a few hundred can overshoot by a point).
    /// </summary>
    public static (TransformerLM Model, TrainingStats Stats) Train(
        IReadOnlyList<TrainingRow> rows, EarlyStopping stopping, ModelConfig config,
        int padId, EmbeddedModelOptions o, EmbeddedTrainingScope scope, IProgress<TrainingProgress>? progress,
        CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        torch.manual_seed(o.Seed);
        var model = ModelLoader.Create(config);
        Initialize(model, o.Seed);
        using var replicas = new Replicas(model, config, scope.Replicas ?? EmbeddedTrainingScope.DefaultReplicas,
            scope.Threads ?? EmbeddedTrainingScope.DefaultThreads);
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
        // Its own generator, so that prompt noise leaves the batch order of a run without it unchanged.
        var noise = new Random(o.Seed ^ 0x4015e);
        var switching = new Random(o.Seed ^ 0xc0de);
        int stepsPerEpoch = (rows.Count + o.BatchSize - 1) / o.BatchSize;
        int total = stepsPerEpoch * o.MaxEpochs;
        if (scope.MaxSteps is int cap)
            total = Math.Min(total, cap);
        int warmup = Math.Max(1, (int)Math.Round(o.WarmupFraction * total));
        // The early-stopping check runs twice per epoch (mid-epoch and at its end): a check costs a forward pass over
        // a few hundred prompts, a fraction of a second, and stopping half an epoch sooner saves far more.
        int checkEvery = Math.Max(1, (stepsPerEpoch + 1) / 2);
        int step = 0, epoch = 0;
        double lastLoss = double.NaN;
        var log = new List<EpochRecord>();
        bool reached = false;
        while (epoch < o.MaxEpochs && step < total && !reached)
        {
            epoch++;
            double lossSum = 0;
            int lossSteps = 0, inEpoch = 0;
            var batches = Batches(rows, o.BatchSize, random);
            foreach (var batch in batches)
            {
                if (step >= total || reached)
                    break;
                ct.ThrowIfCancellationRequested();
                double lr = LearningRate(step, total, warmup, o.LearningRate);
                foreach (var g in optimizer.ParamGroups)
                    g.LearningRate = lr;
                var presented = Noised(Switched(batch, o.CodeSwitchRate, switching), o.PromptNoise, o.PromptDrop,
                    config.VocabSize, padId, noise);
                double loss = replicas.Step(optimizer, presented, padId, o.ObjectWeight);
                step++;
                inEpoch++;
                lossSum += loss;
                lossSteps++;
                progress?.Report(new TrainingProgress(epoch, o.MaxEpochs, step, total, lossSum / lossSteps,
                    clock.Elapsed));
                if (inEpoch % checkEvery == 0 || inEpoch == batches.Count || step == total)
                {
                    lastLoss = lossSum / lossSteps;
                    double at = epoch - 1 + (double)inEpoch / batches.Count;
                    var accuracy = ProbeAccuracy(model, stopping.Sample, padId);
                    reached = accuracy.Count > 0 && accuracy.Values.All(a => a >= o.TargetAccuracy);
                    bool full = reached;
                    if (reached)
                    {
                        accuracy = ProbeAccuracy(model, stopping.All, padId);
                        reached = accuracy.Values.All(a => a >= o.TargetAccuracy);
                    }
                    replicas.Train();
                    log.Add(new EpochRecord(Math.Round(at, 3), step, lastLoss, clock.Elapsed.TotalSeconds, accuracy,
                        full));
                    progress?.Report(new TrainingProgress(epoch, o.MaxEpochs, step, total, lastLoss, clock.Elapsed,
                        string.Create(CultureInfo.InvariantCulture,
                            $"epoch {at:F1}: loss {lastLoss:F4}, {(full ? "all" : "sampled")} train top-1 ") +
                        string.Join(" ", accuracy.Select(kv =>
                            $"{kv.Key} {kv.Value.ToString("F3", CultureInfo.InvariantCulture)}")) +
                        (reached
                            ? $" (all >= {o.TargetAccuracy.ToString(CultureInfo.InvariantCulture)}: stopping)"
                            : "")));
                }
            }
        }
        model.Freeze();
        double epochs = log.Count > 0 ? log[^1].Epoch : 0;
        return (model, new TrainingStats(epoch, epochs, step, lastLoss, clock.Elapsed.TotalSeconds, reached, log));
    }

    /// <summary>GPT-2's initialisation: N(0, 0.02) weights, output projections scaled by 1/√(2·layers), zero biases,
    /// unit norms.</summary>
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
                p.copy_(randn(p.shape, generator: gen) *
                    (name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? projStd : InitStd));
        }
    }

    /// <summary>Warm-up from lr/warmup to lr, then cosine decay to 10% of lr at the last planned step.</summary>
    public static double LearningRate(int step, int total, int warmup, double peak)
    {
        if (step < warmup)
            return peak * (step + 1) / warmup;
        double progress = total > warmup ? (double)(step - warmup) / (total - warmup) : 1;
        return peak * (FinalLearningRateFraction +
            (1 - FinalLearningRateFraction) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }

    /// <summary>
    /// One epoch's batches: rows shuffled, cut into buckets of <see cref="BucketBatches"/> batches, each bucket sorted
    /// by length (stable) and cut into batches, and the batches shuffled. All randomness comes from <paramref
    /// name="random"/>.
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

    /// <summary>
    /// The batch with each row that has code-switched variants replaced, with chance <paramref name="rate"/>, by one
    /// of them (uniformly); drawn afresh each time a row is seen (<see cref="AlignmentCorpus"/>).
    /// </summary>
    internal static TrainingRow[] Switched(TrainingRow[] batch, double rate, Random random)
    {
        if (rate <= 0)
            return batch;
        var result = new TrainingRow[batch.Length];
        for (int i = 0; i < batch.Length; i++)
        {
            var row = batch[i];
            result[i] = row.Variants.Count > 0 && random.NextDouble() < rate
                ? row.Variants[random.Next(row.Variants.Count)] : row;
        }
        return result;
    }

    /// <summary>
    /// The batch with each template position of each prompt replaced, with chance <paramref name="p"/>, by a token
    /// drawn uniformly from the vocabulary except &lt;|endoftext|&gt;, or left out with chance <paramref name="drop"/>;
    /// drawn afresh each time a row is seen. Every token then also appears as input, where many never do otherwise (a
    /// held-out paraphrase's unseen words among them), in a place where it tells nothing about the answer; and the
    /// answer no longer sits a fixed number of tokens after the subject. One uniform draw per position decides both,
    /// so <paramref name="drop"/> = 0 gives exactly the replacements of a run without it.
    /// </summary>
    public static TrainingRow[] Noised(TrainingRow[] batch, double p, double drop, int vocabSize, int eosId,
        Random random)
    {
        if (p <= 0 && drop <= 0)
            return batch;
        var result = new TrainingRow[batch.Length];
        var dropped = new List<int>();
        for (int i = 0; i < batch.Length; i++)
        {
            var row = batch[i];
            int[]? ids = null;
            dropped.Clear();
            foreach (int pos in row.TemplatePositions)
            {
                double u = random.NextDouble();
                if (u < p)
                {
                    ids ??= (int[])row.Ids.Clone();
                    int t = random.Next(vocabSize - 1);
                    ids[pos] = t >= eosId ? t + 1 : t;
                }
                else if (u < p + drop)
                    dropped.Add(pos);
            }
            if (dropped.Count == 0)
            {
                result[i] = ids is null ? row : row with { Ids = ids };
                continue;
            }
            // Template positions all lie in the prompt, before the object, so the object moves left by as many.
            var source = ids ?? row.Ids;
            var kept = new int[source.Length - dropped.Count];
            for (int j = 0, k = 0, d = 0; j < source.Length; j++)
                if (d < dropped.Count && dropped[d] == j)
                    d++;
                else
                    kept[k++] = source[j];
            result[i] = row with
            {
                Ids = kept, ObjectStart = row.ObjectStart - dropped.Count, TemplatePositions = [], Variants = [],
            };
        }
        return result;
    }

    /// <summary>
    /// The model and its data-parallel replicas. A batch is cut into one contiguous slice per replica; each replica
    /// computes its slice's share of the batch loss (weighted cross-entropy summed over its positions, divided by the
    /// whole batch's weight) and its gradient on a worker thread of its own (<see cref="Attribution.CpuWorkers"/>, with
    /// the scope's libtorch threads each). The gradients are added into the model's in replica order, so the step is
    /// the full batch's step with a fixed summation order: deterministic, and the same on any machine with this many
    /// replicas. After the optimiser step the replicas copy the model's weights.
    /// </summary>
    private sealed class Replicas : IDisposable
    {
        private readonly TransformerLM[] _models;
        private readonly Parameter[][] _params;
        private readonly Attribution.CpuWorkers? _workers;
        private readonly int _threadsEach;

        public Replicas(TransformerLM model, ModelConfig config, int count, int threadsEach)
        {
            _threadsEach = threadsEach;
            if (count < 1)
                throw new ArgumentOutOfRangeException(nameof(count), "at least one replica");
            _models = [model, .. Enumerable.Range(1, count - 1).Select(_ => ModelLoader.Create(config))];
            _params = _models.Select(m => m.parameters().ToArray()).ToArray();
            foreach (var ps in _params.Skip(1))
                foreach (var p in ps)
                    p.requires_grad = true;
            Sync();
            if (count > 1)
                _workers = new Attribution.CpuWorkers(count);
        }

        public void Train()
        {
            foreach (var m in _models)
                m.train();
        }

        public double Step(OptimizerHelper optimizer, TrainingRow[] batch, int padId, double objectWeight)
        {
            double totalWeight = batch.Sum(r => Weights(r, objectWeight).Sum(w => (double)w));
            optimizer.zero_grad();
            foreach (var m in _models.Skip(1))
                m.zero_grad();
            List<double> parts = _workers is null
                ? [LossAndGradient(_models[0], batch, padId, objectWeight, totalWeight)]
                : _workers.Map(batch, (w, slice) =>
                    new List<double> { LossAndGradient(_models[w], slice, padId, objectWeight, totalWeight) },
                    _threadsEach);
            using (var scope = NewDisposeScope())
            using (no_grad())
                for (int r = 1; r < _params.Length; r++)
                    for (int i = 0; i < _params[0].Length; i++)
                        if (_params[r][i].grad is { } g)
                        {
                            if (_params[0][i].grad is { } main)
                                main.add_(g);
                            else
                                _params[0][i].grad = g.clone();
                        }
            nn.utils.clip_grad_norm_(_models[0].parameters(), ClipNorm);
            optimizer.step();
            Sync();
            return parts.Sum();
        }

        private void Sync()
        {
            using var _ = no_grad();
            for (int r = 1; r < _params.Length; r++)
                for (int i = 0; i < _params[0].Length; i++)
                    _params[r][i].copy_(_params[0][i]);
        }

        public void Dispose()
        {
            _workers?.Dispose();
            foreach (var m in _models.Skip(1))
                m.Dispose();
        }
    }

    /// <summary>Per predicted position of a row (position j predicts token j + 1): object tokens weigh more.</summary>
    private static IEnumerable<float> Weights(TrainingRow r, double objectWeight)
    {
        for (int j = 0; j + 1 < r.Ids.Length; j++)
            yield return j + 1 >= r.ObjectStart && j + 1 < r.ObjectStart + r.ObjectLength ? (float)objectWeight : 1f;
    }

    /// <summary>
    /// Forward and backward of a slice of a batch of sentences, each its own right-padded row; the loss is the
    /// weighted cross-entropy summed over the slice divided by <paramref name="totalWeight"/> (the whole batch's), so
    /// the slices' gradients add up to the batch's. Returns the slice's part of the batch loss.
    /// </summary>
    private static double LossAndGradient(TransformerLM model, IReadOnlyList<TrainingRow> rows, int padId,
        double objectWeight, double totalWeight)
    {
        using var scope = NewDisposeScope();
        int b = rows.Count, t = rows.Max(r => r.Ids.Length);
        var ids = new long[b * t];
        var picks = new List<long>();
        var targets = new List<long>();
        var weights = new List<float>();
        for (int i = 0; i < b; i++)
        {
            var r = rows[i];
            for (int j = 0; j < t; j++)
                ids[i * t + j] = j < r.Ids.Length ? r.Ids[j] : padId;
            for (int j = 0; j + 1 < r.Ids.Length; j++)
            {
                picks.Add(i * t + j);
                targets.Add(r.Ids[j + 1]);
            }
            weights.AddRange(Weights(r, objectWeight));
        }
        var device = model.InputEmbedding.device;
        // Right padding under a causal mask: real positions never attend to pads, so no attention mask is needed.
        var hidden = model.FinalHidden(model.ForwardHidden(
            new ForwardInputs { InputIds = tensor(ids, [b, t], device: device) }));
        // Only real positions go through the head, the costliest matmul ([n, d] × [d, vocab]).
        var picked = hidden.reshape(b * t, -1).index_select(0, tensor(picks.ToArray(), device: device));
        var logits = model.Head(picked);
        var ce = nn.functional.cross_entropy(logits, tensor(targets.ToArray(), device: device),
            reduction: nn.Reduction.None);
        var loss = (ce * tensor(weights.ToArray(), device: device)).sum() / totalWeight;
        loss.backward();
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
