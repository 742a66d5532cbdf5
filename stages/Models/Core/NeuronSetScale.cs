using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Core;

/// <summary>
/// Scales a set of neurons by α at one position per row, each row with its own set and α (suppress ×0, enhance ×2).
/// The multiplier is built once per layer as [B, ffn] (1 outside the row's set) and applied as
/// <c>a · (1 + hot · (m − 1))</c>, hot marking each row's position: a row whose α is 1, or whose set is empty, is
/// multiplied by exactly 1, so it stays bit-identical to an unmodified pass.
/// </summary>
public sealed class NeuronSetScale : IForwardInterceptor
{
    private readonly Tensor _positions;
    private readonly Dictionary<int, Tensor> _multipliers;

    /// <param name="positions">[B] position per row.</param>
    /// <param name="rowLayers">Per row, the layers of its set's neurons.</param>
    /// <param name="rowUnits">Per row, the units (aligned with <paramref name="rowLayers"/>).</param>
    /// <param name="alphas">Per row, the factor.</param>
    /// <param name="ffnWidth">Units per layer.</param>
    public NeuronSetScale(Tensor positions, IReadOnlyList<int[]> rowLayers, IReadOnlyList<int[]> rowUnits,
        IReadOnlyList<double> alphas, int ffnWidth)
    {
        _positions = positions;
        _multipliers = Multipliers(rowLayers, rowUnits, alphas, ffnWidth, positions.device);
    }

    /// <summary>The per-layer [B, ffn] multipliers (float64 on the host, then one copy to the device).</summary>
    public static Dictionary<int, Tensor> Multipliers(IReadOnlyList<int[]> rowLayers, IReadOnlyList<int[]> rowUnits,
        IReadOnlyList<double> alphas, int ffnWidth, Device device)
    {
        int b = rowLayers.Count;
        var host = new Dictionary<int, double[]>();
        for (int r = 0; r < b; r++)
            for (int i = 0; i < rowLayers[r].Length; i++)
            {
                if (!host.TryGetValue(rowLayers[r][i], out var m))
                {
                    host[rowLayers[r][i]] = m = new double[b * ffnWidth];
                    Array.Fill(m, 1.0);
                }
                m[r * ffnWidth + rowUnits[r][i]] = alphas[r];
            }
        return host.ToDictionary(kv => kv.Key, kv => tensor(kv.Value, [b, ffnWidth], device: device));
    }

    public Tensor OnActivation(int layer, Tensor activation)
    {
        if (!_multipliers.TryGetValue(layer, out var m))
            return activation;
        long b = activation.shape[0], t = activation.shape[1];
        var hot = zeros(b, t, 1, dtype: activation.dtype, device: activation.device);
        hot.index_put_(ones(b, 1, dtype: activation.dtype, device: activation.device),
            arange(b, device: activation.device), _positions);
        return activation * (1 + hot * (m.to_type(activation.dtype).unsqueeze(1) - 1));
    }
}
