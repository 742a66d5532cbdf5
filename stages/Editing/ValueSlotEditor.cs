using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Options;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Editing;

/// <summary>
/// Weight edits of a neuron set's value slots (DESIGN §2, "Editing ops") through <see cref="WeightEdit"/>, one edit
/// at a time: <see cref="Erase"/> or <see cref="Update"/> (several calls compose into one edit), then
/// <see cref="Restore"/> before the next. The restore is checked on every edited slot against a copy this class took
/// before the first change, so a restore that missed a slot is reported, not assumed; the whole-model hash
/// (<see cref="WeightEdit.Hash"/>) belongs at the start and the end of a run only, since hashing every parameter per
/// edit cannot scale to 7B models.
/// </summary>
public sealed class ValueSlotEditor(TransformerLM model, UntiedEmbedding embedding = UntiedEmbedding.Input)
    : IDisposable
{
    private WeightEdit? _edit;

    // Kept apart from WeightEdit's own copies, which it disposes as it restores: the check needs them afterwards.
    private readonly Dictionary<(int Layer, int Unit), Tensor> _expected = new();

    /// <summary>False once any restore of this editor left a slot different from its original bits.</summary>
    public bool AllRestored { get; private set; } = true;

    /// <summary>Slots changed by the current (or, after a restore, the last) edit.</summary>
    public int EditedSlots => _expected.Count;

    /// <summary>Zeroes the set's value slots.</summary>
    public void Erase(NeuronSet set)
    {
        using var scope = NewDisposeScope();
        foreach (var (layer, unit) in set.Pairs)
        {
            Save(layer, unit);
            _edit!.Erase(layer, unit);
        }
    }

    /// <summary>
    /// Dai et al.'s update on each slot v of the set:
    /// <c>v ← v − λ₁·(‖v‖/‖e(old)‖)·e(old) + λ₂·(‖v‖/‖e(new)‖)·e(new)</c>, with e the embedding row of a token
    /// (the input embedding, or the head's with <see cref="UntiedEmbedding.Output"/>). The step is computed in
    /// float32 from the slot's current value, then added in the weight's dtype.
    /// </summary>
    public void Update(NeuronSet set, int oldToken, int newToken, double lambda1, double lambda2)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var table = embedding == UntiedEmbedding.Output ? model.HeadWeight : model.InputEmbedding;
        var eOld = Row(table, oldToken);
        var eNew = Row(table, newToken);
        double oldNorm = eOld.norm().item<float>(), newNorm = eNew.norm().item<float>();
        if (oldNorm == 0 || newNorm == 0)
            throw new ArgumentException(
                $"token {(oldNorm == 0 ? oldToken : newToken)} has a zero embedding: the update is undefined");
        foreach (var (layer, unit) in set.Pairs)
        {
            Save(layer, unit);
            double norm = _edit!.ValueSlot(layer, unit).to_type(ScalarType.Float32).norm().item<float>();
            var delta = eOld * (-lambda1 * norm / oldNorm) + eNew * (lambda2 * norm / newNorm);
            _edit.Add(layer, unit, delta);
        }
    }

    private static Tensor Row(Tensor table, int token)
    {
        if (token < 0 || token >= table.shape[0])
            throw new ArgumentOutOfRangeException(nameof(token), $"token {token} outside 0..{table.shape[0] - 1}");
        return table[token].to_type(ScalarType.Float32);
    }

    private void Save(int layer, int unit)
    {
        if (_edit is null)
        {
            Forget();
            _edit = new WeightEdit(model);
        }
        if (_expected.ContainsKey((layer, unit)))
            return;
        using var _ = no_grad();
        _expected[(layer, unit)] = _edit.ValueSlot(layer, unit).clone().DetachFromDisposeScope();
    }

    /// <summary>Ends the current edit: copies every slot back and checks it bit for bit. False (and
    /// <see cref="AllRestored"/> false) when any slot differs; true when nothing was edited.</summary>
    public bool Restore()
    {
        // WeightEdit restores outside any scope of its own: its slot views would otherwise wait for the GC.
        using (NewDisposeScope())
            _edit?.Dispose();
        _edit = null;
        return Verify();
    }

    /// <summary>
    /// Whether every slot of the last edit holds its original bits now; a failure also clears
    /// <see cref="AllRestored"/>. The originals are kept until the next edit starts, so the check can be repeated
    /// after a restore (e.g. right before the run's closing hash, to name the slot a hash mismatch came from).
    /// </summary>
    public bool Verify()
    {
        if (_edit is not null)
            throw new InvalidOperationException("an edit is still applied: restore it before checking");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var probe = new WeightEdit(model);
        bool ok = true;
        foreach (var ((layer, unit), original) in _expected)
        {
            // Bytes, not values: −0 equals +0 and NaN equals nothing, and neither is a bit-exact restore. No
            // `using`: on the CPU, contiguous().cpu() may hand back the saved copy itself; the scope frees the rest.
            var now = probe.ValueSlot(layer, unit).contiguous().cpu();
            var then = original.contiguous().cpu();
            if (!now.bytes.SequenceEqual(then.bytes))
                ok = false;
        }
        AllRestored &= ok;
        return ok;
    }

    private void Forget()
    {
        foreach (var t in _expected.Values)
            t.Dispose();
        _expected.Clear();
    }

    /// <summary>Restores an edit still open (its check counts in <see cref="AllRestored"/>).</summary>
    public void Dispose()
    {
        if (_edit is not null)
            Restore();
        Forget();
    }
}
