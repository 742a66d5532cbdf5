using System.Diagnostics;
using System.Globalization;

namespace KnPipeline.Stages.Training;

/// <summary>
/// Shows <see cref="TrainingProgress"/> on a text writer (standard error): on a terminal one line redrawn with
/// <c>\r</c> at most every 100 ms, otherwise (log file, CI) a plain line at most every <c>lineInterval</c> (10 s).
/// Messages always get their own line. Reports arrive from the training thread only, so no locking is needed.
/// </summary>
public sealed class TrainingProgressBar : IProgress<TrainingProgress>
{
    private const int BarWidth = 20;
    private readonly TextWriter _output;
    private readonly bool _interactive;
    private readonly TimeSpan _lineInterval;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _lastDraw;
    private int _lastWidth;

    public TrainingProgressBar(TextWriter output, bool interactive, TimeSpan? lineInterval = null)
    {
        _output = output;
        _interactive = interactive;
        _lineInterval = lineInterval ?? TimeSpan.FromSeconds(10);
    }

    /// <summary>Progress on standard error: a live bar when it is a terminal, a line every 10 s otherwise.</summary>
    public static TrainingProgressBar ForStandardError() => new(Console.Error, !Console.IsErrorRedirected);

    public void Report(TrainingProgress value)
    {
        if (value.Message != null)
        {
            Clear();
            _output.WriteLine(value.Message);
            _lastDraw = null;
            return;
        }
        var now = _clock.Elapsed;
        bool last = value.Step >= value.TotalSteps;
        if (!last && _lastDraw is { } previous && now - previous < (_interactive ? TimeSpan.FromMilliseconds(100) : _lineInterval))
            return;
        _lastDraw = now;
        string line = Format(value);
        if (_interactive)
        {
            _output.Write("\r" + line.PadRight(_lastWidth));
            _lastWidth = line.Length;
            if (last)
                Finish();
        }
        else
        {
            _output.WriteLine(line);
        }
    }

    /// <summary>Ends the redrawn line, so later output starts on a fresh one.</summary>
    public void Finish()
    {
        if (_interactive && _lastWidth > 0)
            _output.WriteLine();
        _lastWidth = 0;
    }

    public static string Format(TrainingProgress p)
    {
        double frac = p.TotalSteps > 0 ? Math.Min(1, (double)p.Step / p.TotalSteps) : 0;
        int filled = (int)Math.Round(frac * BarWidth);
        string eta = p.Eta is { } e ? Clock(e) : "?";
        return string.Create(CultureInfo.InvariantCulture,
            $"training [{new string('#', filled)}{new string('.', BarWidth - filled)}] epoch {p.Epoch}/{p.MaxEpochs} " +
            $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} elapsed {Clock(p.Elapsed)} eta {eta}");
    }

    private static string Clock(TimeSpan t) => t.TotalHours >= 1
        ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
        : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    private void Clear()
    {
        if (_interactive && _lastWidth > 0)
        {
            _output.Write("\r" + new string(' ', _lastWidth) + "\r");
            _lastWidth = 0;
        }
    }
}
