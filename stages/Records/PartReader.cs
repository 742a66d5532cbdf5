using System.Runtime.CompilerServices;
using Parquet;

namespace KnPipeline.Stages.Records;

/// <summary>
/// Reads part files written by <see cref="PartWriter{T}"/> one row group at a time, so memory is bounded by the
/// row group size, not the file size.
/// </summary>
public static class PartReader
{
    /// <summary>Yields every row group of the file as an array of records.</summary>
    /// <exception cref="InvalidDataException">The schema does not read the file's <c>kn.schema_version</c>.</exception>
    public static async IAsyncEnumerable<T[]> ReadRowGroupsAsync<T>(string path, IRecordSchema<T> schema,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: ct);
        CheckVersion(path, reader.CustomMetadata, schema);
        for (int i = 0; i < reader.RowGroupCount; i++)
        {
            using var rg = reader.OpenRowGroupReader(i);
            yield return await schema.ReadAsync(rg, ct);
        }
    }

    /// <summary>Yields every record of the file, in order.</summary>
    public static async IAsyncEnumerable<T> ReadAsync<T>(string path, IRecordSchema<T> schema,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var group in ReadRowGroupsAsync(path, schema, ct))
            foreach (var row in group)
                yield return row;
    }

    /// <summary>The footer's key-value metadata.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ReadMetadataAsync(string path,
        CancellationToken ct = default)
    {
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: ct);
        return new Dictionary<string, string>(reader.CustomMetadata, StringComparer.Ordinal);
    }

    private static void CheckVersion<T>(string path, IReadOnlyDictionary<string, string> metadata,
        IRecordSchema<T> schema)
    {
        if (!metadata.TryGetValue(PartMetadata.SchemaVersionKey, out string? found))
            throw new InvalidDataException(
                $"{path}: no {PartMetadata.SchemaVersionKey} in the footer; not a kn part file");
        if (!schema.Reads(found))
            throw new InvalidDataException(
                $"{path}: {PartMetadata.SchemaVersionKey} is '{found}', this reader expects '{schema.SchemaVersion}'");
    }
}
