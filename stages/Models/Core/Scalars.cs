using System.Collections.Concurrent;
using TorchSharp;

namespace KnPipeline.Stages.Models.Core;

/// <summary>
/// Scalar constants held for the life of the process. TorchSharp's implicit double → Scalar conversion makes a new
/// Scalar per call and leaves it to its finalizer, and the JIT may treat it as dead once its native handle is read:
/// a collection during the native call then frees the Scalar libtorch is reading. The editing memory bench died
/// that way after about ten minutes of edits (libtorch's "Expected false to be true" in Scalar.h's toFloat, from the
/// attention's masked_fill). The constants of every forward pass come from here, so nothing can collect them; a
/// value that changes per call is converted with <c>using var s = v.ToScalar()</c> at its call site instead.
/// </summary>
public static class Scalars
{
    private static readonly ConcurrentDictionary<double, Scalar> Cache = new();

    /// <summary>The process-wide Scalar of a constant (a handful per model: bounded by the distinct values
    /// asked for, so only for constants).</summary>
    public static Scalar Of(double value) => Cache.GetOrAdd(value, v => v.ToScalar());
}
