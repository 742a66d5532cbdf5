using System.Security.Cryptography;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Core;

/// <summary>
/// Temporary edits of FFN value slots (the column of the FFN output projection that neuron i writes through), restored
/// bit-exactly on dispose: the original slot is copied before its first change and copied back, never recomputed.
/// </summary>
public sealed class WeightEdit : IDisposable
{
    private readonly TransformerLM _model;
    private readonly Dictionary<(int Layer, int Unit), Tensor> _saved = new();

    public WeightEdit(TransformerLM model)
    {
        _model = model;
    }

    /// <summary>The value slot of one neuron, [d], as a view into the weight.</summary>
    public Tensor ValueSlot(int layer, int unit)
    {
        var w = _model.FfnValueWeight(layer, out bool transposed);
        if (unit < 0 || unit >= _model.FfnWidth)
            throw new ArgumentOutOfRangeException(nameof(unit), $"neuron {unit} outside 0..{_model.FfnWidth - 1}");
        return transposed ? w[unit] : w[.., unit];
    }

    /// <summary>Erase: zero the neuron's value slot.</summary>
    public void Erase(int layer, int unit) => Update(layer, unit, slot => slot.zero_());

    /// <summary>Adds <paramref name="delta"/> [d] to the neuron's value slot (the knowledge update;
    /// docs/architecture.md, Definitions).</summary>
    public void Add(int layer, int unit, Tensor delta) =>
        Update(layer, unit, slot => slot.add_(delta.to_type(slot.dtype).to(slot.device)));

    private void Update(int layer, int unit, Action<Tensor> change)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var slot = ValueSlot(layer, unit);
        if (!_saved.ContainsKey((layer, unit)))
            _saved[(layer, unit)] = slot.clone().DetachFromDisposeScope();
        change(slot);
    }

    public void Dispose()
    {
        // The slot views made here are handles too: without a scope each restore would leave one per slot.
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var ((layer, unit), original) in _saved)
        {
            ValueSlot(layer, unit).copy_(original);
            original.Dispose();
        }
        _saved.Clear();
    }

    /// <summary>SHA-256 over every parameter's bytes in name order: equal hashes mean bit-identical weights.</summary>
    public static string Hash(nn.Module model)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, p) in model.named_parameters().OrderBy(p => p.name, StringComparer.Ordinal))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            using var c = p.detach().cpu().contiguous();
            sha.AppendData(c.bytes);
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }
}
