using System.Diagnostics;
using System.Threading.Tasks.Dataflow;
using KnPipeline.Runs;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Editing;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;
using KnPipeline.Stages.Tokenization;
using Microsoft.Extensions.Logging;

namespace KnPipeline.Graph;

/// <summary>Busy seconds of the CPU stages and of the interventions, summed over their workers.</summary>
public sealed record StageTimes(double Expand, double Tokenize, double Write, double Analyze, double Intervene,
    double Edit);

/// <summary>
/// The Dataflow graph of one run: source → query expansion → tokenization → batch packer → attribution
/// (device) → chunk assembled → per-fact analyses (CPU) → interventions (device) → edits (device) → Parquet sinks. Every block is bounded, so a full writer throttles the device and a
/// busy device throttles tokenization, and memory does not grow with the benchmark. Blocks are linked with completion
/// propagation; every block also cancels a shared token when it faults, which releases a producer blocked on a full
/// head and makes the whole graph stop with the first real error (docs/architecture.md, Library notes).
/// </summary>
public sealed class PipelineGraph(
    QueryExpander expander,
    Func<string, string, IReadOnlyList<TemplateRecord>> templatesFor,
    QueryTokenizer tokenizer,
    AttributionStage device,
    BatchPacker packer,
    ChunkWriter writer,
    ProgressReporter progress,
    int capacity,
    int parallelism,
    ILogger log,
    Action<ChunkMarker> onWritten,
    LocalizationStage? localization = null,
    QueryLocalizationStage? queryLocalization = null,
    SetScalingRunner? scaling = null,
    SynapseProbe? synapses = null,
    EditingStage? editing = null,
    EditRunner? editRunner = null)
{
    /// <summary>Fraction of the device stage's wall time spent computing a batch.</summary>
    public double DeviceBusy => DeviceSeconds > 0 ? Math.Min(1, _deviceCompute / DeviceSeconds) : 0;

    /// <summary>The device stage's wall time: from the start of its first batch to the end of its last.</summary>
    public double DeviceSeconds => _firstStart < 0 ? 0 : Stopwatch.GetElapsedTime(_firstStart, _lastEnd).TotalSeconds;

    /// <summary>Queries attributed in this session (not those of chunks a previous session finished).</summary>
    public long QueriesAttributed => Interlocked.Read(ref _queriesAttributed);

    /// <summary>Chunks written in this session.</summary>
    public long ChunksWritten => Interlocked.Read(ref _chunksWritten);

    private long _firstStart = -1, _lastEnd;
    private double _deviceCompute;
    private long _expandTicks, _tokenizeTicks, _writeTicks, _analyzeTicks, _interveneTicks, _editTicks,
        _queriesAttributed, _chunksWritten;

    /// <summary>
    /// Busy seconds of the CPU stages summed over their workers (they overlap each other and the device, so they do
    /// not add up to the wall time): where the time goes when the device waits.
    /// </summary>
    public StageTimes StageSeconds => new(Seconds(ref _expandTicks), Seconds(ref _tokenizeTicks),
        Seconds(ref _writeTicks), Seconds(ref _analyzeTicks), Seconds(ref _interveneTicks),
        Seconds(ref _editTicks));

    private static double Seconds(ref long ticks) => (double)Interlocked.Read(ref ticks) / Stopwatch.Frequency;

    private static void AddSince(ref long total, long start) =>
        Interlocked.Add(ref total, Stopwatch.GetTimestamp() - start);

    public async Task RunAsync(IEnumerable<FactChunk> chunks, CancellationToken stoppingToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var ct = cts.Token;
        ExecutionDataflowBlockOptions Cpu(int mdop) =>
            new() { BoundedCapacity = capacity, MaxDegreeOfParallelism = mdop, CancellationToken = ct };
        using var deviceThread = new SingleThreadScheduler("kn-device");

        var expand = new TransformBlock<FactChunk, ExpandedChunk>(chunk =>
        {
            long start = Stopwatch.GetTimestamp();
            // An expander of its own per chunk, so the chunk's marker can carry its skip counts: a resumed run adds
            // them up from the markers instead of counting only what it computed itself.
            var own = new QueryExpander(expander.Options);
            var queries = own.Expand(chunk.Facts, templatesFor).ToList();
            progress.FactsDone(0, chunk.FactIds.Count);
            AddSince(ref _expandTicks, start);
            // Facts were checked when they were read (bad ones are in the load quarantine), so expansion rejects none.
            return new ExpandedChunk(chunk, queries, [], own.Skipped.Snapshot());
        }, Cpu(parallelism));

        var tokenize = new TransformBlock<ExpandedChunk, TokenizedChunk>(e =>
        {
            long start = Stopwatch.GetTimestamp();
            var q = new QuarantineLog();
            var counts = new TokenizationDiagnostics();
            var tokenized = tokenizer.TokenizeAll(e.Queries, q, counts).ToList();
            progress.FactsDone(1, e.Chunk.FactIds.Count);
            AddSince(ref _tokenizeTicks, start);
            return new TokenizedChunk(e, tokenized, q.Records.ToList(), counts.Snapshot());
        }, Cpu(parallelism));

        // Batches never cross a chunk, so a resumed run computes exactly the batches of an uninterrupted one.
        var pack = new TransformManyBlock<TokenizedChunk, DeviceBatch>(t =>
        {
            var batches = packer.Pack(t.Tokenized, _ => device.RowsPerQuery, q => q.InputIds.Length).ToList();
            if (batches.Count == 0)
                return [new DeviceBatch(t, 0, [], true)];
            return batches.Select((b, i) => new DeviceBatch(t, i, b, i == batches.Count - 1));
        }, new ExecutionDataflowBlockOptions { BoundedCapacity = capacity, CancellationToken = ct });

        var attribute = new TransformBlock<DeviceBatch, BatchResult>(b =>
        {
            long start = Stopwatch.GetTimestamp();
            if (_firstStart < 0)
                _firstStart = start;
            var (attributed, notLocalized, predictions) = device.Run(b.Queries);
            _lastEnd = Stopwatch.GetTimestamp();
            double s = Stopwatch.GetElapsedTime(start, _lastEnd).TotalSeconds;
            _deviceCompute += s;
            // Queries, not (query, method) records: queries/s keeps its meaning whatever the number of methods.
            int localized = b.Queries.Count - notLocalized;
            progress.QueriesAttributed(localized);
            Interlocked.Add(ref _queriesAttributed, localized);
            if (b.IsLast)
                progress.FactsDone(2, b.Chunk.Expanded.Chunk.FactIds.Count);
            return new BatchResult(b, attributed, notLocalized, s) { Predictions = predictions };
        }, new ExecutionDataflowBlockOptions
        {
            BoundedCapacity = 2, MaxDegreeOfParallelism = 1, TaskScheduler = deviceThread, CancellationToken = ct,
        });

        var methods = device.Methods.Select(m => OptionNames.Of(m)).ToList();
        // Chunk assembled: a chunk's batches are gathered until its last one, so the per-fact analyses below see each
        // fact whole, in every language and under every method.
        var attributed = new List<MethodAttribution>();
        var predictions = new List<PredictionRecord>();
        int pendingNotLocalized = 0;
        var assemble = new TransformManyBlock<BatchResult, AssembledChunk>(r =>
        {
            attributed.AddRange(r.Attributed);
            predictions.AddRange(r.Predictions);
            pendingNotLocalized += r.NotLocalized;
            if (!r.Batch.IsLast)
                return [];
            var chunk = new AssembledChunk(r.Batch.Chunk, attributed.ToList(), predictions.ToList(),
                pendingNotLocalized);
            attributed.Clear();
            predictions.Clear();
            pendingNotLocalized = 0;
            return [chunk];
        }, new ExecutionDataflowBlockOptions { BoundedCapacity = capacity, CancellationToken = ct });

        // CPU: the records of each query (top-k lists, coarse sets) and the per-fact analyses (refined sets,
        // MATRICE, consistency, and the sets the interventions scale). They overlap the device's next chunk.
        var analyze = new TransformBlock<AssembledChunk, AnalyzedChunk>(a =>
        {
            long start = Stopwatch.GetTimestamp();
            var (records, knSets) = device.Selection.Run(a.Attributed);
            var factKns = new List<FactKnRecord>();
            var matrice = new List<MatriceRecord>();
            var consistency = new List<ConsistencyRecord>();
            var trials = new List<LoloTrial>();
            var planned = new List<QueryLocalizationStage.Planned>();
            var synapseQueries = new List<SynapseQuery>();
            var edits = new List<EditInput>();
            foreach (var fact in FactGroup.Of(a.Chunk.Expanded.Chunk.Facts, a.Attributed, a.Predictions))
            {
                IReadOnlyList<MatriceRecord> factMatrice = [];
                IReadOnlyList<ConsistencyRecord> cells = [];
                if (localization != null)
                {
                    var found = localization.Analyze(fact);
                    factKns.AddRange(found.FactKns);
                    matrice.AddRange(found.Matrice);
                    trials.AddRange(found.Trials);
                    factMatrice = found.Matrice;
                }
                if (queryLocalization != null)
                {
                    (var classified, var plan) = queryLocalization.Analyze(fact);
                    consistency.AddRange(classified);
                    planned.AddRange(plan);
                    cells = classified;
                    if (synapses != null)
                        synapseQueries.AddRange(queryLocalization.SynapseQueries(fact));
                }
                if (editing != null && editing.Edits(fact.FactId))
                    edits.Add(new EditInput(fact, factMatrice, cells));
            }
            AddSince(ref _analyzeTicks, start);
            var result = new ChunkResult(a.Chunk, records, knSets, a.NotLocalized)
            {
                Predictions = a.Predictions, Methods = methods, FactKns = factKns, Matrice = matrice,
                Consistency = consistency,
            };
            return new AnalyzedChunk(result, trials, planned, synapseQueries) { Edits = edits };
        }, Cpu(1));

        // Device: the set scalings the analyses asked for (leave-one-language-out, KL vs QL, query-KN mapping), on
        // the device thread between attribution batches; the engine changes no weight, so nothing needs restoring.
        var intervene = new TransformBlock<AnalyzedChunk, AnalyzedChunk>(x =>
        {
            if (scaling == null || x.Trials.Count + x.Planned.Count + x.Synapses.Count == 0)
                return x;
            long start = Stopwatch.GetTimestamp();
            // One call for every scaling of the chunk: a prompt's prefix cache is built once for all its rows.
            var loloRequests = LoloRunner.Requests(x.Trials);
            var (before, after) = scaling.Run([.. loloRequests, .. x.Planned.Select(p => p.Request)]);
            var lolo = LoloRunner.Records(x.Trials, before, after[..loloRequests.Count]);
            var (probes, heatmaps, skipped) = synapses?.Run(x.Synapses) ?? ([], [], new(StringComparer.Ordinal));
            AddSince(ref _interveneTicks, start);
            // The device thread computes here too, between attribution batches: device-busy counts it, so a device
            // kept busy by interventions does not look idle. The device stage's span (device_s, queries/s) is still
            // that of attribution.
            _deviceCompute += Stopwatch.GetElapsedTime(start).TotalSeconds;
            return x with
            {
                Result = x.Result with
                {
                    Lolo = lolo,
                    QlInterventions = QueryLocalizationStage.Interventions(x.Planned, before,
                        after[loloRequests.Count..]),
                    Synapses = probes, SynapseHeatmaps = heatmaps,
                    AnalysisSkipped = skipped,
                },
            };
        }, new ExecutionDataflowBlockOptions
        {
            BoundedCapacity = 1, MaxDegreeOfParallelism = 1, TaskScheduler = deviceThread, CancellationToken = ct,
        });

        // Device: the chunk's edits, one fact's cells after another. The weight edits change the model in place and
        // restore it before they return; on the device thread, no attribution batch can run in between. The cells
        // are built here, not with the analyses: cas_score: activation reads activations through the model.
        var edit = new TransformBlock<AnalyzedChunk, ChunkResult>(x =>
        {
            if (editing == null || editRunner == null || x.Edits.Count == 0)
                return x.Result;
            long start = Stopwatch.GetTimestamp();
            var records = x.Edits.SelectMany(e => editing.Cells(e.Fact, e.Matrice, e.Consistency,
                editRunner.Activations)).SelectMany(c => editRunner.Run(c)).ToList();
            AddSince(ref _editTicks, start);
            _deviceCompute += Stopwatch.GetElapsedTime(start).TotalSeconds;
            return x.Result with { Edits = records };
        }, new ExecutionDataflowBlockOptions
        {
            BoundedCapacity = 1, MaxDegreeOfParallelism = 1, TaskScheduler = deviceThread, CancellationToken = ct,
        });

        var write = new ActionBlock<ChunkResult>(async result =>
        {
            long start = Stopwatch.GetTimestamp();
            var marker = await writer.WriteAsync(result, ct);
            AddSince(ref _writeTicks, start);
            // Handed on, not kept: a kept marker per chunk grows with the length of the run.
            onWritten(marker);
            Interlocked.Increment(ref _chunksWritten);
            progress.FactsDone(3, result.Expanded.Chunk.FactIds.Count);
        }, new ExecutionDataflowBlockOptions
        {
            BoundedCapacity = capacity, MaxDegreeOfParallelism = 1, CancellationToken = ct,
        });

        var link = new DataflowLinkOptions { PropagateCompletion = true };
        expand.LinkTo(tokenize, link);
        tokenize.LinkTo(pack, link);
        pack.LinkTo(attribute, link);
        attribute.LinkTo(assemble, link);
        assemble.LinkTo(analyze, link);
        analyze.LinkTo(intervene, link);
        intervene.LinkTo(edit, link);
        edit.LinkTo(write, link);
        IDataflowBlock[] blocks = [expand, tokenize, pack, attribute, assemble, analyze, intervene, edit, write];
        foreach (var b in blocks)
            _ = b.Completion.ContinueWith(t => { if (t.IsFaulted) cts.Cancel(); }, TaskScheduler.Default);

        try
        {
            foreach (var chunk in chunks)
            {
                if (!await expand.SendAsync(chunk, ct))
                    break;
            }
            expand.Complete();
        }
        catch (OperationCanceledException)
        {
            expand.Complete();
        }
        try
        {
            await Task.WhenAll(blocks.Select(b => b.Completion));
        }
        catch
        {
            // Report the first real error, not the cancellations it caused in the other blocks.
            var errors = blocks.Where(b => b.Completion.IsFaulted)
                               .SelectMany(b => b.Completion.Exception!.Flatten().InnerExceptions)
                               .Where(e => e is not OperationCanceledException).ToList();
            if (errors.Count > 0)
                throw new AggregateException("a pipeline stage failed", errors).Flatten().InnerExceptions[0];
            stoppingToken.ThrowIfCancellationRequested();
            throw;
        }
        stoppingToken.ThrowIfCancellationRequested();
        log.LogDebug("graph complete: {Chunks} chunks written", ChunksWritten);
    }
}
