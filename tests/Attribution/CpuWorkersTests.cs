using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Options;
using KnPipeline.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Attribution;

/// <summary>The fast algorithm split over single-threaded CPU workers gives what one batch gives.</summary>
[Collection("Torch")]
public class CpuWorkersTests
{
    private sealed class RecordingBaselines(Func<AttributionQuery, int, float[]?> value) : IBaselineProvider
    {
        public HashSet<int> Threads { get; } = new();

        public float[]? Baseline(AttributionQuery query, int layer)
        {
            lock (Threads)
                Threads.Add(Environment.CurrentManagedThreadId);
            return value(query, layer);
        }
    }

    private static AttributionQuery Q(int i) =>
        new($"q{i}", Enumerable.Range(3 + i, 4 + i % 3).ToArray(), null, 3 + i % 3, [3 + i % 3], [20 + i]);

    private static List<QueryAttribution> RunWithThreads(int threads, IntegratedGradients ig,
        IReadOnlyList<AttributionQuery> qs, IBaselineProvider? b)
    {
        int before = get_num_threads();
        set_num_threads(threads);
        try
        {
            var r = ig.Run(qs, b).ToList();
            Assert.Equal(threads, get_num_threads());
            return r;
        }
        finally
        {
            set_num_threads(before);
        }
    }

    [Fact]
    public void WorkersGiveTheResultsOfOneBatchInOrderAndLeaveTheThreadCountAlone()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", 3);
        var qs = Enumerable.Range(0, 5).Select(Q).ToArray();
        var baselines = new RecordingBaselines((q, l) =>
            Enumerable.Range(0, model.FfnWidth).Select(i => 0.01f * (i % 7) - 0.02f * l).ToArray());
        using var single = new IntegratedGradients(model, new AttributionOptions { Steps = 4, CpuWorkers = 1 });
        using var three = new IntegratedGradients(model, new AttributionOptions { Steps = 4, CpuWorkers = 3 });
        var one = RunWithThreads(1, single, qs, baselines);
        var split = RunWithThreads(3, three, qs, baselines);
        Assert.Equal(qs.Select(q => q.Id), split.Select(r => r.Id));
        for (int i = 0; i < qs.Length; i++)
        {
            Assert.Equal(one[i].FA, split[i].FA, 6);
            for (int l = 0; l < one[i].Layers.Count; l++)
            {
                var a = one[i].Layers[l].Attributions;
                var b = split[i].Layers[l].Attributions;
                double scale = a.Max(x => Math.Abs((double)x));
                Assert.True(a.Zip(b).All(p => Math.Abs(p.First - p.Second) <= 1e-5 * scale + 1e-9),
                    $"{qs[i].Id} layer {l}");
            }
        }
        // The provider is only ever asked on the calling thread.
        Assert.Equal([Environment.CurrentManagedThreadId], baselines.Threads);
        three.Dispose();
        three.Dispose();   // a second Dispose is harmless
    }

    [Fact]
    public void TheSplitNotTheMachinesThreadCountDecidesTheNumbers()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", 3);
        var qs = Enumerable.Range(0, 4).Select(Q).ToArray();
        using var ig = new IntegratedGradients(model, new AttributionOptions { Steps = 4, CpuWorkers = 2 });
        var withOne = RunWithThreads(1, ig, qs, null);
        var withFour = RunWithThreads(4, ig, qs, null);
        for (int i = 0; i < qs.Length; i++)
            for (int l = 0; l < withOne[i].Layers.Count; l++)
                Assert.Equal(withOne[i].Layers[l].Attributions, withFour[i].Layers[l].Attributions);
    }

    [Fact]
    public void AWorkersErrorReachesTheCaller()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("llama", 3);
        var qs = Enumerable.Range(0, 4).Select(Q).ToArray();
        var wrong = new RecordingBaselines((q, l) => q.Id == "q3" ? new float[3] : null);
        using var ig = new IntegratedGradients(model, new AttributionOptions { Steps = 2 });
        var e = Assert.Throws<ArgumentException>(() => RunWithThreads(2, ig, qs, wrong));
        Assert.Contains("q3", e.Message);
    }
}
