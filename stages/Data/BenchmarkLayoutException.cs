namespace KnPipeline.Stages.Data;

/// <summary>
/// A benchmark folder whose layout is unusable as a whole (not a format we know, ambiguous, a required declaration
/// file missing). Bad individual records never throw; they go to quarantine.
/// </summary>
public sealed class BenchmarkLayoutException(string message) : Exception(message);
