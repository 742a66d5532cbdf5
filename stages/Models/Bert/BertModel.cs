using KnPipeline.Stages.Models.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Bert;

/// <summary>
/// BERT, RoBERTa and XLM-R masked LMs (BertForMaskedLM / RobertaForMaskedLM): post-LayerNorm encoder layers, learned
/// absolute positions (offset by padding_idx + 1 for RoBERTa), segment embeddings, and the MLM head
/// (dense → gelu → LayerNorm → tied decoder + bias).
/// </summary>
public sealed class BertModel : TransformerLM
{
    private readonly BertEmbeddings _emb;
    private readonly ModuleList<nn.Module> _layers;
    private readonly Linear _transformDense;
    private readonly LayerNorm _transformNorm;
    // The head's parameters are read through the modules that register them, never cached: Module.to(dtype or
    // device) replaces registered parameters and disposes the old ones, so a cached Parameter would go stale.
    private readonly nn.Module _biasOwner;
    private readonly nn.Module? _decoderOwner;

    public BertModel(ModelConfig c) : base("bert", c)
    {
        bool roberta = c.ModelType != "bert";
        _emb = new BertEmbeddings(c);
        _layers = nn.ModuleList(Enumerable.Range(0, c.NumLayers).Select(_ => (nn.Module)new BertLayer(c)).ToArray());
        register_module(roberta ? "roberta" : "bert",
            new Holder("body", ("embeddings", _emb), ("encoder", new Holder("encoder", ("layer", _layers)))));
        _transformDense = nn.Linear(c.HiddenSize, c.HiddenSize);
        _transformNorm = nn.LayerNorm(c.HiddenSize, c.NormEps);
        var headBias = new Parameter(zeros(c.VocabSize));
        _decoderOwner = c.TieWordEmbeddings ? null : ParamHolder("decoder", "weight", new Parameter(empty(c.VocabSize, c.HiddenSize)));
        if (roberta)
        {
            var head = new Holder("lm_head", ("dense", _transformDense), ("layer_norm", _transformNorm));
            head.register_parameter("bias", headBias);
            if (_decoderOwner is not null)
                head.register_module("decoder", _decoderOwner);
            register_module("lm_head", head);
            _biasOwner = head;
        }
        else
        {
            var predictions = new Holder("predictions",
                ("transform", new Holder("transform", ("dense", _transformDense), ("LayerNorm", _transformNorm))));
            predictions.register_parameter("bias", headBias);
            if (_decoderOwner is not null)
                predictions.register_module("decoder", _decoderOwner);
            register_module("cls", new Holder("cls", ("predictions", predictions)));
            _biasOwner = predictions;
        }
    }

    private static Holder ParamHolder(string module, string name, Parameter p)
    {
        var h = new Holder(module);
        h.register_parameter(name, p);
        return h;
    }

    public override bool IsCausal => false;

    public override string NeuronDefinition =>
        "BERT neuron (layer l, unit i): a = gelu(intermediate.dense(x_mid)), the input of " +
        "encoder.layer.{l}.output.dense, at the prediction ([MASK]) position";

    private BertLayer Layer(int l) => (BertLayer)_layers[l];

    public override Tensor DefaultPositionIds(ForwardInputs inputs)
    {
        var ids = inputs.InputIds;
        if (Config.PositionOffset == 0)
            return arange(ids.shape[1], dtype: ScalarType.Int64, device: ids.device).unsqueeze(0).expand(ids.shape);
        // RoBERTa: padding_idx + cumulative count of real tokens; pads sit at padding_idx.
        var m = (inputs.AttentionMask ?? ones_like(ids)).to_type(ScalarType.Int64);
        return m.cumsum(1) * m + (Config.PositionOffset - 1);
    }

    public override Tensor Embed(Tensor inputIds, Tensor positionIds, Tensor? tokenTypeIds) =>
        _emb.Forward(inputIds, positionIds, tokenTypeIds ?? zeros_like(inputIds));

    public override Tensor AttentionInput(int layer, Tensor x) => x;

    public override (Tensor Q, Tensor K, Tensor V) QueryKeyValue(int layer, Tensor h, Tensor positionIds)
    {
        var L = Layer(layer);
        return (SplitHeads(L.query.call(h), Config.NumHeads), SplitHeads(L.key.call(h), Config.NumHeads), SplitHeads(L.value.call(h), Config.NumHeads));
    }

    public override Tensor AttentionMerge(int layer, Tensor x, Tensor context)
    {
        var L = Layer(layer);
        return L.attn_norm.call(x + L.attn_dense.call(context));
    }

    public override Tensor FfnActivation(int layer, Tensor xMid) => nn.functional.gelu(Layer(layer).intermediate.call(xMid));

    public override Tensor FfnOutput(int layer, Tensor xMid, Tensor activation)
    {
        var L = Layer(layer);
        return L.out_norm.call(xMid + L.out_dense.call(activation));
    }

    public override Tensor FinalHidden(Tensor x) => _transformNorm.call(nn.functional.gelu(_transformDense.call(x)));

    public override Tensor HeadWeight => _decoderOwner?.get_parameter("weight") ?? _emb.word_embeddings.weight!;

    public override Tensor? HeadBias => _biasOwner.get_parameter("bias");

    public override Tensor InputEmbedding => _emb.word_embeddings.weight!;

    public override Tensor FfnValueWeight(int layer, out bool transposed)
    {
        transposed = false;
        return Layer(layer).out_dense.weight!;
    }
}

internal sealed class BertEmbeddings : nn.Module
{
    public readonly Embedding word_embeddings, position_embeddings, token_type_embeddings;
    public readonly LayerNorm LayerNorm;

    public BertEmbeddings(ModelConfig c) : base("embeddings")
    {
        word_embeddings = nn.Embedding(c.VocabSize, c.HiddenSize);
        position_embeddings = nn.Embedding(c.MaxPositions, c.HiddenSize);
        token_type_embeddings = nn.Embedding(Math.Max(1, c.TypeVocabSize), c.HiddenSize);
        LayerNorm = nn.LayerNorm(c.HiddenSize, c.NormEps);
        register_module("word_embeddings", word_embeddings);
        register_module("position_embeddings", position_embeddings);
        register_module("token_type_embeddings", token_type_embeddings);
        register_module("LayerNorm", LayerNorm);
    }

    public Tensor Forward(Tensor ids, Tensor pos, Tensor types) =>
        LayerNorm.call(word_embeddings.call(ids) + position_embeddings.call(pos) + token_type_embeddings.call(types));
}

internal sealed class BertLayer : nn.Module
{
    public readonly Linear query, key, value, attn_dense, intermediate, out_dense;
    public readonly LayerNorm attn_norm, out_norm;

    public BertLayer(ModelConfig c) : base("layer")
    {
        query = nn.Linear(c.HiddenSize, c.HiddenSize);
        key = nn.Linear(c.HiddenSize, c.HiddenSize);
        value = nn.Linear(c.HiddenSize, c.HiddenSize);
        attn_dense = nn.Linear(c.HiddenSize, c.HiddenSize);
        attn_norm = nn.LayerNorm(c.HiddenSize, c.NormEps);
        intermediate = nn.Linear(c.HiddenSize, c.FfnWidth);
        out_dense = nn.Linear(c.FfnWidth, c.HiddenSize);
        out_norm = nn.LayerNorm(c.HiddenSize, c.NormEps);
        register_module("attention", new Holder("attention",
            ("self", new Holder("self", ("query", query), ("key", key), ("value", value))),
            ("output", new Holder("output", ("dense", attn_dense), ("LayerNorm", attn_norm)))));
        register_module("intermediate", new Holder("intermediate", ("dense", intermediate)));
        register_module("output", new Holder("output", ("dense", out_dense), ("LayerNorm", out_norm)));
    }
}
