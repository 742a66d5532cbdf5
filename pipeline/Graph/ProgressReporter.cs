using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KnPipeline.Graph;

/// <summary>
/// Live progress: in a terminal, one bar per stage (facts done / total, queries/s, ETA, device-busy %), redrawn in
/// place on stderr; otherwise (a log, CI) one line every <c>run.progress_interval_s</c> through the logger.
/// </summary>
public sealed class ProgressReporter : IDisposable
{
    public static readonly string[] Stages = ["expand", "tokenize", "attribute", "write"];

    private readonly long[] _facts = new long[Stages.Length];
    private long _queriesAttributed;
    private readonly int _totalFacts;
    private readonly int _alreadyDone;
    private readonly ILogger _log;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Timer _timer;
    private readonly bool _live;
    private readonly object _drawLock = new();
    private int _drawnLines;
    private Func<double> _deviceBusy = () => 0;

    public ProgressReporter(int totalFacts, int alreadyDone, ILogger log, TimeSpan interval)
    {
        _totalFacts = totalFacts;
        _alreadyDone = alreadyDone;
        _log = log;
        _live = !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null;
        _timer = new Timer(_ => Tick(), null, _live ? TimeSpan.FromMilliseconds(500) : interval, _live ? TimeSpan.FromMilliseconds(500) : interval);
    }

    public void SetDeviceBusy(Func<double> busy) => _deviceBusy = busy;

    public void FactsDone(int stage, int facts) => Interlocked.Add(ref _facts[stage], facts);

    public void QueriesAttributed(int n) => Interlocked.Add(ref _queriesAttributed, n);

    public double QueriesPerSecond => Interlocked.Read(ref _queriesAttributed) / Math.Max(1e-9, _clock.Elapsed.TotalSeconds);

    private string Line(int i)
    {
        long done = Interlocked.Read(ref _facts[i]) + _alreadyDone;
        double frac = _totalFacts == 0 ? 1 : (double)done / _totalFacts;
        int width = 24, filled = (int)Math.Round(frac * width);
        double rate = Interlocked.Read(ref _facts[i]) / Math.Max(1e-9, _clock.Elapsed.TotalSeconds);
        string eta = done >= _totalFacts ? "done"
            : rate > 0 ? "ETA " + TimeSpan.FromSeconds((_totalFacts - done) / rate).ToString(@"hh\:mm\:ss") : "ETA --:--:--";
        return $"{Stages[i],-9} [{new string('#', filled)}{new string('.', width - filled)}] {done,6}/{_totalFacts} facts  {eta}";
    }

    private void Tick()
    {
        string tail = $"{QueriesPerSecond:F1} queries/s, device busy {100 * _deviceBusy():F0}%, {_clock.Elapsed:hh\\:mm\\:ss} elapsed";
        if (!_live)
        {
            long written = Interlocked.Read(ref _facts[^1]) + _alreadyDone;
            _log.LogInformation("progress: {Written}/{Total} facts written; {Stages}; {Tail}", written, _totalFacts,
                string.Join(", ", Stages.Select((s, i) => $"{s} {Interlocked.Read(ref _facts[i]) + _alreadyDone}")), tail);
            return;
        }
        lock (_drawLock)
        {
            var lines = Enumerable.Range(0, Stages.Length).Select(Line).Append(tail).ToList();
            var err = Console.Error;
            if (_drawnLines > 0)
                err.Write($"\u001b[{_drawnLines}A");
            foreach (var l in lines)
                err.Write($"\r\u001b[2K{l}\n");
            err.Flush();
            _drawnLines = lines.Count;
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Tick();
    }
}
