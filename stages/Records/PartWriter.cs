using Parquet;

namespace KnPipeline.Stages.Records;

/// <summary>
/// Streams records of one type into one Parquet part file, a row group every <see cref="RowGroupSize"/> rows, so
/// no stage ever holds a whole table. Crash-safe: rows go to <c>&lt;path&gt;.tmp</c>; <see cref="CompleteAsync"/>
/// writes the footer, flushes to disk (<c>Flush(true)</c>) and renames to the final name, which is atomic on one
/// filesystem. A part file that exists is therefore always whole; a <c>.tmp</c> never counts as done
/// (docs/architecture.md, Library notes). Disposing without completing deletes the temporary file.
/// </summary>
public sealed class PartWriter<T> : IAsyncDisposable
{
    public const int DefaultRowGroupSize = 50_000;

    // The open file; owned here because ParquetWriter does not close the stream it is given.
    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    // The row group being filled, shredded into columns; never more than RowGroupSize rows, which bounds this
    // writer's memory.
    private readonly RowGroupBuffer<T> _buffer;
    // _closed: the Parquet writer and the stream are disposed (the footer is written, or the part was aborted).
    // _completed: the part was renamed to its final name. Kept apart so a failure between the two still cleans up.
    private bool _closed, _completed;

    private PartWriter(string path, IRecordSchema<T> schema, FileStream stream, ParquetWriter writer, int rowGroupSize)
    {
        Path = path;
        _stream = stream;
        _writer = writer;
        RowGroupSize = rowGroupSize;
        _buffer = schema.CreateBuffer();
    }

    /// <summary>The final path, which exists only after <see cref="CompleteAsync"/>.</summary>
    public string Path { get; }

    /// <summary>Where rows are written until completion.</summary>
    public string TempPath => Path + ".tmp";

    public int RowGroupSize { get; }

    /// <summary>Rows accepted so far (buffered or written).</summary>
    public long RowCount { get; private set; }

    public int RowGroupsWritten { get; private set; }

    /// <summary>Opens <c>&lt;path&gt;.tmp</c> (replacing a stale one from a crashed attempt) for writing.</summary>
    /// <exception cref="IOException">The final part file already exists: parts are never overwritten.</exception>
    public static async Task<PartWriter<T>> CreateAsync(string path, IRecordSchema<T> schema, PartMetadata metadata,
        int rowGroupSize = DefaultRowGroupSize, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupSize, 1);
        string full = System.IO.Path.GetFullPath(path);
        if (File.Exists(full))
            throw new IOException($"part file {full} already exists; parts are written once and never overwritten");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var stream = new FileStream(full + ".tmp", FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        try
        {
            var writer = await ParquetWriter.CreateAsync(schema.Schema, stream, WriterOptions(), cancellationToken: ct);
            writer.CustomMetadata = metadata.ToDictionary(schema.SchemaVersion);
            return new PartWriter<T>(full, schema, stream, writer, rowGroupSize);
        }
        catch
        {
            await stream.DisposeAsync();
            File.Delete(full + ".tmp");
            throw;
        }
    }

    /// <summary>
    /// Snappy (the library default), with the library's stream pools capped: by default Parquet.Net 6.1 keeps up to
    /// 80 MB of pooled buffers alive (16 MB small + 64 MB large), far more than a 50k-row group of our records
    /// needs, and that retained memory counts against the pipeline's flat-memory budget.
    /// </summary>
    private static ParquetOptions WriterOptions() => new()
    {
        MaximumSmallPoolFreeBytes = 2 * 1024 * 1024,
        MaximumLargePoolFreeBytes = 8 * 1024 * 1024,
    };

    /// <summary>Adds one record; writes a row group when the buffer is full.</summary>
    public async ValueTask WriteAsync(T record, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        _buffer.Add(record);
        RowCount++;
        if (_buffer.Count >= RowGroupSize)
            await FlushRowGroupAsync(ct);
    }

    /// <summary>Adds records in order.</summary>
    public async ValueTask WriteAsync(IEnumerable<T> records, CancellationToken ct = default)
    {
        foreach (var r in records)
            await WriteAsync(r, ct);
    }

    /// <summary>Writes the last row group and the footer, syncs the file to disk and renames it to <see
    /// cref="Path"/>.</summary>
    public async Task CompleteAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_buffer.Count > 0)
            await FlushRowGroupAsync(ct);
        await CloseAsync(ct);
        File.Move(TempPath, Path, overwrite: false);
        _completed = true;
    }

    /// <summary>Aborts an incomplete part: closes and deletes the temporary file. No-op after completion.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_completed)
            return;
        try
        {
            if (!_closed)
                await CloseAsync(CancellationToken.None);
        }
        finally
        {
            File.Delete(TempPath);
        }
    }

    private async Task CloseAsync(CancellationToken ct)
    {
        _closed = true;
        try
        {
            // The footer is written by DisposeAsync; only after it is the file readable.
            await _writer.DisposeAsync();
            await _stream.FlushAsync(ct);
            _stream.Flush(flushToDisk: true);
        }
        finally
        {
            _buffer.Dispose();
            await _stream.DisposeAsync();
        }
    }

    private async Task FlushRowGroupAsync(CancellationToken ct)
    {
        using (var rg = _writer.CreateRowGroup())
        {
            await _buffer.WriteAsync(rg, ct);
            rg.CompleteValidate();
        }
        RowGroupsWritten++;
        _buffer.Clear();
    }
}
