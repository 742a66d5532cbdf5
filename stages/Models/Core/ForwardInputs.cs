using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Core;

/// <summary>A padded batch: ids [B, T] and optionally the attention mask (1 real, 0 pad), position and segment ids.</summary>
public sealed class ForwardInputs
{
    public required Tensor InputIds { get; init; }
    public Tensor? AttentionMask { get; init; }
    public Tensor? PositionIds { get; init; }
    public Tensor? TokenTypeIds { get; init; }

    /// <summary>Right-pads rows of ids into one batch on <paramref name="device"/>.</summary>
    public static ForwardInputs FromRows(IReadOnlyList<int[]> rows, int padId, Device device,
                                         IReadOnlyList<int[]>? tokenTypes = null)
    {
        int b = rows.Count, t = rows.Max(r => r.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        var types = tokenTypes == null ? null : new long[b * t];
        for (int i = 0; i < b; i++)
        {
            for (int j = 0; j < t; j++)
            {
                bool real = j < rows[i].Length;
                ids[i * t + j] = real ? rows[i][j] : padId;
                mask[i * t + j] = real ? 1 : 0;
                if (types != null && real)
                    types[i * t + j] = tokenTypes![i][j];
            }
        }
        return new ForwardInputs
        {
            InputIds = tensor(ids, [b, t], device: device),
            AttentionMask = tensor(mask, [b, t], device: device),
            TokenTypeIds = types == null ? null : tensor(types, [b, t], device: device),
        };
    }
}
