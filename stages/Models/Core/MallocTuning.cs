using System.Runtime.InteropServices;

namespace KnPipeline.Stages.Models.Core;

/// <summary>
/// Keeps glibc's malloc from returning large freed blocks to the OS. libtorch allocates CPU tensors with plain malloc;
/// by default every block above the (dynamic) mmap threshold is a fresh mapping that is page-faulted in page by page
/// and unmapped again when freed, and attribution frees and reallocates tensors of many MB per layer. Setting
/// <c>M_MMAP_MAX = 0</c> and a large <c>M_TRIM_THRESHOLD</c> with <c>mallopt</c> is what
/// <c>GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=…</c> does at start-up (docs/architecture.md,
/// Library notes), but works at run time, so no launcher or re-exec is needed. Measured on the GPT-2-small bench (1
/// thread): 10–15% less CPU time per query. The cost: freed memory stays in the process (peak RSS is what was needed
/// anyway). Skipped when GLIBC_TUNABLES already sets malloc options, when KN_MALLOC_TUNING=0, and off glibc.
/// </summary>
public static class MallocTuning
{
    private const int TrimThreshold = -1, MmapMax = -4;   // M_TRIM_THRESHOLD, M_MMAP_MAX in malloc.h
    private static readonly Lazy<bool> Applied = new(ApplyOnce);

    /// <summary>Applies the settings once per process; true when they are in force.</summary>
    public static bool Apply() => Applied.Value;

    private static bool ApplyOnce()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("KN_MALLOC_TUNING") == "0")
            return false;
        if (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is { } t &&
            t.Contains("glibc.malloc.", StringComparison.Ordinal))
            return false;
        try
        {
            return Mallopt(MmapMax, 0) == 1 && Mallopt(TrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;  // not glibc (musl's mallopt is absent or a no-op)
        }
    }

    /// <summary>
    /// Hands the free memory of every malloc arena back to the OS (malloc_trim). Worker threads keep their freed
    /// blocks in arenas of their own, which the main thread does not reuse; a caller that switches from one kind of
    /// work to another (the bench: fast, then naive) trims in between so the peak is the larger phase, not the sum.
    /// (M_ARENA_MAX = 1 set at run time made it worse: 2.8 GB and a third slower, as threads were sent to arenas that
    /// cannot grow without mmap.)
    /// </summary>
    public static void Trim()
    {
        if (!Apply())
            return;
        try
        {
            MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // not glibc
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);
}
