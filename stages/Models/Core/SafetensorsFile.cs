using System.IO.MemoryMappedFiles;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Core;

/// <summary>
/// A memory-mapped reader for the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// <c>{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}</c>, then the raw little-endian data
/// (offsets relative to the first byte after the header). TorchSharp 0.107 has no reader of its own.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    public sealed record Entry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly long _dataStart;

    public string Path { get; }
    public IReadOnlyDictionary<string, Entry> Entries { get; }

    public SafetensorsFile(string path)
    {
        Path = path;
        // The length is that of the opened file, not of the path: in a Hugging Face cache the path is a symlink to
        // ../../blobs/<sha256>, and FileInfo.Length of the link is 76 bytes (the link text), which made every
        // cached checkpoint fail with "header length ... does not fit a file of 76 bytes". Measuring and mapping
        // one open handle also cannot disagree if the file is replaced between the two.
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (FileNotFoundException) when (LinkedFiles.IsDangling(path))
        {
            throw new ModelLoadException(LinkedFiles.NotFound(path).Message);
        }
        long length = stream.Length;
        if (length < 8)
        {
            stream.Dispose();
            throw new ModelLoadException($"{path}: too short for a safetensors file ({length} bytes)");
        }
        _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None,
            leaveOpen: false);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        long n = _view.ReadInt64(0);
        if (n <= 0 || 8 + n > length)
            throw new ModelLoadException($"{path}: header length {n} does not fit a file of {length} bytes");
        var header = new byte[n];
        _view.ReadArray(8, header, 0, (int)n);
        _dataStart = 8 + n;
        var entries = new Dictionary<string, Entry>();
        try
        {
            using var doc = JsonDocument.Parse(header);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                    continue;
                var dtype = MapDType(p.Value.GetProperty("dtype").GetString()!, p.Name, path);
                var shape = p.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                var offs = p.Value.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                long expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype);
                if (offs.Length != 2 || offs[1] - offs[0] != expected || _dataStart + offs[1] > length)
                    throw new ModelLoadException(
                        $"{path}: tensor '{p.Name}' has data_offsets [{string.Join(", ", offs)}] " +
                        $"but needs {expected} bytes " +
                        $"for shape [{string.Join(", ", shape)}] {dtype}, within a file of {length} bytes");
                entries[p.Name] = new Entry(p.Name, dtype, shape, offs[0], offs[1]);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ModelLoadException($"{path}: malformed safetensors header: {e.Message}");
        }
        Entries = entries;
    }

    /// <summary>Copies one tensor out of the mapping into a new CPU tensor of its stored dtype.</summary>
    public unsafe Tensor Read(string name)
    {
        var e = Entries.TryGetValue(name, out var x) ? x : throw new ModelLoadException($"{Path}: no tensor '{name}'");
        var t = empty(e.Shape, e.DType);
        long count = e.End - e.Begin;
        if (count == 0)
            return t;
        byte* basePtr = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
        try
        {
            byte* src = basePtr + _view.PointerOffset + _dataStart + e.Begin;
            var dst = t.bytes;
            // Span lengths are int; copy large tensors in slices.
            for (long off = 0; off < count; off += int.MaxValue / 2)
            {
                int len = (int)Math.Min(int.MaxValue / 2, count - off);
                new ReadOnlySpan<byte>(src + off, len).CopyTo(dst.Slice((int)off, len));
            }
        }
        finally
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        return t;
    }

    public static ScalarType MapDType(string dtype, string name, string path) => dtype switch
    {
        "F64" => ScalarType.Float64,
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new ModelLoadException($"{path}: tensor '{name}' has unsupported dtype {dtype}"),
    };

    public static int ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    /// <summary>
    /// Writes tensors as a safetensors file (used for the embedded model and tests). Tensors are written in name
    /// order, contiguous, in their own dtype, so equal weights always give byte-identical files.
    /// </summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors,
                             IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.OrderBy(t => t.Name, StringComparer.Ordinal)
                          .Select(t => (t.Name, Tensor: t.Tensor.detach().cpu().contiguous())).ToList();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata != null)
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(k => k.Key, StringComparer.Ordinal))
                    w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in list)
            {
                long size = t.NumberOfElements * ElementSize(t.dtype);
                w.WriteStartObject(name);
                w.WriteString("dtype", DTypeName(t.dtype));
                w.WriteStartArray("shape");
                foreach (var s in t.shape)
                    w.WriteNumberValue(s);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + size);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += size;
            }
            w.WriteEndObject();
        }
        // The header is padded with spaces to a multiple of 8, as the reference implementation does.
        var header = ms.ToArray().ToList();
        while (header.Count % 8 != 0)
            header.Add((byte)' ');
        string tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            fs.Write(BitConverter.GetBytes((long)header.Count));
            fs.Write(header.ToArray());
            foreach (var (_, t) in list)
                fs.Write(t.bytes);
            fs.Flush(true);
        }
        File.Move(tmp, path, true);
        foreach (var (_, t) in list)
            t.Dispose();
    }

    private static string DTypeName(ScalarType t) => t switch
    {
        ScalarType.Float64 => "F64", ScalarType.Float32 => "F32", ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16", ScalarType.Int64 => "I64", ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16", ScalarType.Int8 => "I8", ScalarType.Byte => "U8", ScalarType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(t), $"dtype {t} cannot be written to safetensors"),
    };

    public void Dispose()
    {
        _view.Dispose();
        _map.Dispose();
    }
}
