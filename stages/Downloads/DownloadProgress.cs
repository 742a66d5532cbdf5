using System.Diagnostics;
using System.Globalization;

namespace KnPipeline.Stages.Downloads;

/// <summary>
/// One progress display for a whole fetch (all its files): bytes done of bytes expected, MB/s and ETA. On a terminal it
/// redraws one line with <c>\r</c> at most every 100 ms; otherwise (a log file, CI) it prints a plain line at most every
/// <c>lineInterval</c>, so logs stay readable. Thread-safe: parallel downloads report into the same instance.
/// </summary>
public sealed class DownloadProgress
{
    private const int BarWidth = 24;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly TextWriter _output;
    private readonly bool _interactive;
    private readonly TimeSpan _lineInterval;
    private readonly Stopwatch _clock = new();
    // All counters and the current label are guarded by _gate: several downloads report at once.
    private readonly Lock _gate = new();
    private long _expected, _done, _transferred;
    private string _current = "";
    private TimeSpan _lastDraw = TimeSpan.MinValue;
    private int _lastWidth;

    public DownloadProgress(TextWriter output, bool interactive, TimeSpan? lineInterval = null)
    {
        _output = output;
        _interactive = interactive;
        _lineInterval = lineInterval ?? TimeSpan.FromSeconds(5);
    }

    /// <summary>Progress on standard error: a redrawn bar when it is a terminal, periodic lines otherwise.</summary>
    public static DownloadProgress ForStandardError() => new(Console.Error, !Console.IsErrorRedirected);

    /// <summary>Reports nothing.</summary>
    public static DownloadProgress None { get; } = new(TextWriter.Null, false);

    public long BytesTransferred { get { lock (_gate) return _transferred; } }

    /// <summary>Adds bytes that are expected to arrive (the sizes of the files about to be downloaded).</summary>
    public void Expect(long bytes) { lock (_gate) _expected += bytes; }

    /// <summary>Names the file being downloaded now.</summary>
    public void Start(string label) { lock (_gate) { _current = label; Draw(force: false); } }

    /// <summary>Bytes received over the network.</summary>
    public void Transferred(long bytes)
    {
        lock (_gate)
        {
            if (!_clock.IsRunning) _clock.Start();
            _done += bytes;
            _transferred += bytes;
            Draw(force: false);
        }
    }

    /// <summary>Bytes counted as done without a transfer (a resumed partial file).</summary>
    public void Skipped(long bytes) { lock (_gate) _done += bytes; }

    /// <summary>Prints a message on its own line without garbling the bar.</summary>
    public void Message(string line)
    {
        lock (_gate)
        {
            ClearBar();
            _output.WriteLine(line);
            _lastDraw = TimeSpan.MinValue;
        }
    }

    /// <summary>Draws the final state and ends the bar's line.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_transferred == 0 && _expected == 0) return;
            _current = "done";
            Draw(force: true);
            if (_interactive) _output.WriteLine();
            _output.Flush();
        }
    }

    private void Draw(bool force)
    {
        var now = _clock.Elapsed;
        var interval = _interactive ? RedrawInterval : _lineInterval;
        if (!force && _lastDraw != TimeSpan.MinValue && now - _lastDraw < interval) return;
        if (!force && !_interactive && _lastDraw == TimeSpan.MinValue && now < interval) return;
        _lastDraw = now;
        string text = Render(now);
        if (_interactive)
        {
            // Pad over the previous, possibly longer, line instead of relying on terminal escape codes.
            _output.Write("\r" + text.PadRight(_lastWidth));
            _lastWidth = text.Length;
        }
        else
            _output.WriteLine(text);
        _output.Flush();
    }

    private void ClearBar()
    {
        if (!_interactive || _lastWidth == 0) return;
        _output.Write("\r" + new string(' ', _lastWidth) + "\r");
        _lastWidth = 0;
    }

    private string Render(TimeSpan elapsed)
    {
        double seconds = Math.Max(elapsed.TotalSeconds, 1e-3);
        double rate = _transferred / seconds;
        long expected = Math.Max(_expected, _done);
        string eta = rate > 0 && expected > _done ? FormatDuration((expected - _done) / rate) : "-";
        string amount = $"{Mb(_done)}/{Mb(expected)} MB";
        string speed = string.Create(CultureInfo.InvariantCulture, $"{rate / 1e6:F2} MB/s");
        if (!_interactive)
        {
            int pct = expected > 0 ? (int)(100 * _done / expected) : 100;
            return $"download: {amount} ({pct}%), {speed}, ETA {eta}, {_current}";
        }
        int filled = expected > 0 ? (int)(BarWidth * _done / expected) : BarWidth;
        string bar = new string('#', filled) + new string('-', BarWidth - filled);
        return $"[{bar}] {amount} {speed} ETA {eta} {Shorten(_current, 40)}";
    }

    private static string Mb(long bytes) => (bytes / 1e6).ToString("F1", CultureInfo.InvariantCulture);

    private static string FormatDuration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Min(seconds, 359_999));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : $"{t.Minutes}:{t.Seconds:D2}";
    }

    private static string Shorten(string s, int max) => s.Length <= max ? s : "…" + s[^(max - 1)..];
}
