namespace KnPipeline.Stages.Training;

/// <summary>
/// What part of the benchmark to train on and the knobs that are not training options: a reduced scope for tests
/// (languages, relations, a step cap). The defaults are the full embedded model that <see cref="EmbeddedModel"/>
/// caches; a non-default scope is written into training.json.
/// </summary>
public sealed record EmbeddedTrainingScope
{
    /// <summary>Language codes to train on; null or empty = all.</summary>
    public IReadOnlyList<string>? Languages { get; init; }

    /// <summary>Relation ids to train on; null or empty = all.</summary>
    public IReadOnlyList<string>? Relations { get; init; }

    /// <summary>Stop after this many optimiser steps at most (null = as many as the epochs need).</summary>
    public int? MaxSteps { get; init; }

    /// <summary>Training prompts per language checked after every epoch for early stopping.</summary>
    public int AccuracySamplePerLanguage { get; init; } = 200;

    /// <summary>
    /// BPE merges at most. The default lets training run to its natural end (no pair occurs twice), about 8,100
    /// merges on the embedded benchmark: every benchmark name then is one or a few tokens in every script.
    /// </summary>
    public int MaxMerges { get; init; } = 12000;

    /// <summary>Largest sentence length the model is built for; rows longer than this are an error.</summary>
    public int MaxPositions { get; init; } = 64;

    /// <summary>
    /// libtorch intra-op threads for the run; null = <see cref="DefaultThreads"/>. The weights depend on it (kernels
    /// split their reductions by thread), so it is fixed rather than taken from the machine.
    /// </summary>
    public int? Threads { get; init; }

    /// <summary>
    /// One thread: the embedded model's matrices are small (d = 128), so a second thread gains little even on an idle
    /// machine, while on a shared one an oversubscribed OpenMP team made each step up to 9× slower (measured).
    /// </summary>
    public const int DefaultThreads = 1;

    /// <summary>
    /// Model replicas that share each batch (data parallel), each on a thread of its own with <see cref="Threads"/>
    /// libtorch threads; null = <see cref="DefaultReplicas"/>. Fixed, not taken from the machine, because how a batch
    /// is split decides the float sums and so the weights.
    /// </summary>
    public int? Replicas { get; init; }

    /// <summary>Two: one per core of the 2-core machines this runs on; each replica's step is compute-bound.</summary>
    public const int DefaultReplicas = 2;

    public static EmbeddedTrainingScope Full { get; } = new();

    public bool IsFull => Languages is not { Count: > 0 } && Relations is not { Count: > 0 } && MaxSteps == null &&
                          MaxMerges == Full.MaxMerges && MaxPositions == Full.MaxPositions &&
                          AccuracySamplePerLanguage == Full.AccuracySamplePerLanguage &&
                          (Threads ?? DefaultThreads) == DefaultThreads && (Replicas ?? DefaultReplicas) == DefaultReplicas;
}
