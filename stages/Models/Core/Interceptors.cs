using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Core;

/// <summary>
/// Records the neuron activation [B, ffn] at one position per row, for the chosen layers. Interceptors run inside a
/// layer's dispose scope, so what they keep is moved out to the caller's scope.
/// </summary>
public sealed class ActivationCapture(Tensor positions, IReadOnlyCollection<int>? layers = null) : IForwardInterceptor
{
    public Dictionary<int, Tensor> Activations { get; } = new();

    public Tensor OnActivation(int layer, Tensor activation)
    {
        if (layers == null || layers.Contains(layer))
            Activations[layer] = activation[arange(activation.shape[0], device: activation.device), positions]
                .detach().MoveToOuterDisposeScope();
        return activation;
    }
}

/// <summary>
/// Replaces the activation of one layer at one position per row by α·activation, with one α per batch row
/// (suppress: 0, enhance: 2, integrated-gradient steps: α_k).
/// </summary>
public sealed class ActivationScale(int layer, Tensor positions, Tensor alphas) : IForwardInterceptor
{
    public Tensor OnActivation(int l, Tensor activation)
    {
        if (l != layer)
            return activation;
        // A multiplier of ones with α at each row's position keeps the op out-of-place and differentiable.
        var mult = ones(activation.shape[0], activation.shape[1], 1, dtype: activation.dtype,
            device: activation.device);
        var rows = arange(activation.shape[0], device: activation.device);
        mult.index_put_(alphas.to_type(activation.dtype).unsqueeze(-1), rows, positions);
        return activation * mult;
    }
}

/// <summary>Replaces the activation of one layer at one position per row by given vectors [B, ffn].</summary>
public sealed class ActivationReplace(int layer, Tensor positions, Tensor values) : IForwardInterceptor
{
    public Tensor OnActivation(int l, Tensor activation)
    {
        if (l != layer)
            return activation;
        var rows = arange(activation.shape[0], device: activation.device);
        var hot = zeros(activation.shape[0], activation.shape[1], 1, dtype: activation.dtype,
            device: activation.device);
        hot.index_put_(ones(activation.shape[0], 1, dtype: activation.dtype, device: activation.device), rows,
            positions);
        var spread = values.unsqueeze(1).expand(activation.shape);
        return activation * (1 - hot) + spread * hot;
    }
}

/// <summary>Records attention probabilities [B, H, T, T] for the chosen layers.</summary>
public sealed class AttentionCapture(IReadOnlyCollection<int>? layers = null) : IForwardInterceptor
{
    public Dictionary<int, Tensor> Probabilities { get; } = new();

    public Tensor OnAttentionProbs(int layer, Tensor probs)
    {
        if (layers == null || layers.Contains(layer))
            Probabilities[layer] = probs.detach().MoveToOuterDisposeScope();
        return probs;
    }
}

/// <summary>
/// Scales chosen attention columns (keys) in the row of the query position, for every head of one layer: the
/// "knowledge synapse" intervention of the QL paper. Rows are not renormalised, as in the paper's scaling.
/// <paramref name="columnMask"/> is [B, T] bool: which key columns to scale in each row's query-position row.
/// </summary>
public sealed class AttentionColumnScale(int layer, Tensor queryPositions, Tensor columnMask, double factor)
    : IForwardInterceptor
{
    public Tensor OnAttentionProbs(int l, Tensor probs)
    {
        if (l != layer)
            return probs;
        long b = probs.shape[0], t = probs.shape[^1];
        var rowHot = zeros(b, t, dtype: ScalarType.Bool, device: probs.device);
        rowHot.index_put_(ones(b, dtype: ScalarType.Bool, device: probs.device), arange(b, device: probs.device),
            queryPositions);
        // [B, 1, Tq, Tk]: true where (query row is the chosen position) and (key column is chosen).
        var sel = rowHot.unsqueeze(-1).logical_and(columnMask.to_type(ScalarType.Bool).unsqueeze(1)).unsqueeze(1);
        return probs * where(sel, factor, 1.0).to_type(probs.dtype);
    }
}

/// <summary>
/// Scales chosen attention columns per head: the QL paper's "knowledge synapses" with its unstated choices made
/// explicit (docs/architecture.md, Query localization). <paramref name="columns"/> maps a layer to a [B, H, T] bool
/// mask of the key columns each head scales; the rows scaled are each row's query position
/// (<paramref name="queryPositions"/>, [B]) or, with <paramref name="allRows"/>, every row. With
/// <paramref name="renormalize"/> each scaled row is divided by its new sum, so it stays a distribution (a row whose
/// mass was all in the scaled columns and is knocked out keeps its zeros rather than becoming NaN).
/// </summary>
public sealed class AttentionHeadColumnScale(IReadOnlyDictionary<int, Tensor> columns, Tensor queryPositions,
    double factor, bool allRows, bool renormalize) : IForwardInterceptor
{
    public Tensor OnAttentionProbs(int layer, Tensor probs)
    {
        if (!columns.TryGetValue(layer, out var mask))
            return probs;
        long b = probs.shape[0], t = probs.shape[^1];
        var rows = allRows
            ? ones(b, t, dtype: ScalarType.Bool, device: probs.device)
            : zeros(b, t, dtype: ScalarType.Bool, device: probs.device).index_put_(
                ones(b, dtype: ScalarType.Bool, device: probs.device), arange(b, device: probs.device),
                queryPositions);
        // [B, H, Tq, Tk]: the row is scaled and the head chose the column.
        var sel = rows.view(b, 1, t, 1).logical_and(mask.to_type(ScalarType.Bool).unsqueeze(2));
        var scaled = probs * where(sel, factor, 1.0).to_type(probs.dtype);
        if (!renormalize)
            return scaled;
        var touched = rows.view(b, 1, t, 1);
        var sum = scaled.sum(-1, keepdim: true);
        return where(touched.logical_and(sum > 0), scaled / sum.clamp_min(1e-30), scaled);
    }
}
