using Parquet;
using Parquet.Schema;

namespace KnPipeline.Stages.Records;

/// <summary>
/// A <c>list&lt;element&gt;</c> column of required elements (a nullable list; an empty list is written as such).
/// Dremel levels are written explicitly (<see cref="ParquetRowGroupWriter.WriteAllPartsAsync{T}"/>):
/// definition level 2 = an element, 1 = an empty list; repetition level 0 starts a row, 1 continues it.
/// </summary>
public sealed class ListColumn<T, TElement>(ListField list, Func<T, IReadOnlyList<TElement>> get)
    : ListColumn<T, TElement, TElement>(list, get, e => e)
    where TElement : struct;

/// <summary>A list column whose elements are converted before writing (e.g. string → ReadOnlyMemory&lt;char&gt;).</summary>
public class ListColumn<T, TElement, TStored>(ListField list, Func<T, IReadOnlyList<TElement>> get,
    Func<TElement, TStored> convert) : IColumnBuffer<T> where TStored : struct
{
    private readonly GrowableArray<TStored> _values = new(4096);
    private readonly GrowableArray<int> _definitions = new(4096);
    private readonly GrowableArray<int> _repetitions = new(4096);

    public void Add(T row)
    {
        var items = get(row);
        if (items.Count == 0)
        {
            _definitions.Add(1);
            _repetitions.Add(0);
            return;
        }
        for (int k = 0; k < items.Count; k++)
        {
            _values.Add(convert(items[k]));
            _definitions.Add(2);
            _repetitions.Add(k == 0 ? 0 : 1);
        }
    }

    public Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken ct) =>
        rowGroup.WriteAllPartsAsync<TStored>((DataField)list.Item, _values.Memory, _definitions.Memory,
            _repetitions.Memory, ct);

    public void Clear()
    {
        _values.Clear();
        _definitions.Clear();
        _repetitions.Clear();
    }

    public void Dispose()
    {
        _values.Dispose();
        _definitions.Dispose();
        _repetitions.Dispose();
    }
}
