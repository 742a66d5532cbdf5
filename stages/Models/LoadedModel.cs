using KnPipeline.Stages.Downloads;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Hub;
using KnPipeline.Stages.Models.Tokenizers;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Models;

/// <summary>A model with its tokenizer (absent for checkpoints that ship none) and where it came from.</summary>
public sealed class LoadedModel(TransformerLM model, ITextTokenizer? tokenizer, ModelLocation location)
{
    public TransformerLM Model { get; } = model;
    public ITextTokenizer? Tokenizer { get; } = tokenizer;
    public ModelLocation Location { get; } = location;

    /// <summary>Resolves a folder or cached Hub id, then loads the weights and, if present, the tokenizer.</summary>
    /// <param name="env">Where the Hub settings (HF_HOME, HF_HUB_CACHE, ...) are read; null = this process's.</param>
    public static LoadedModel Open(string pathOrId, Device? device = null, ScalarType dtype = ScalarType.Float32,
        EnvironmentVariables? env = null)
    {
        var location = ModelLocator.Resolve(pathOrId, env);
        var model = ModelLoader.Load(location.LocalDir, device, dtype);
        ITextTokenizer? tokenizer = null;
        string[] files = ["tokenizer.json", "vocab.json", "vocab.txt", "tokenizer.model"];
        // Random test checkpoints ship no tokenizer; such models are driven by ids alone. File.Exists, not
        // LinkedFiles.Exists: a dangling tokenizer link must reach TokenizerFactory and fail there by name, rather
        // than silently load the model without its tokenizer.
        if (files.Any(f => File.Exists(Path.Combine(location.LocalDir, f))))
            tokenizer = TokenizerFactory.FromModelFolder(location.LocalDir);
        return new LoadedModel(model, tokenizer, location);
    }

    public long ParameterCount => Model.parameters().Sum(p => p.numel());

    /// <summary>The pad id for batching: the tokenizer's, else the config's, else 0 (pads are masked anyway).</summary>
    public int PadId => Tokenizer?.PadId ?? Model.Config.PadTokenId ?? Tokenizer?.EosId ?? 0;

    /// <summary>
    /// Segment ids as Hugging Face makes them for a sentence pair: 0 up to and including the first [SEP], 1 after it.
    /// </summary>
    public int[] DefaultTokenTypes(int[] ids)
    {
        int sep = Tokenizer?.SepId ?? 102;
        var types = new int[ids.Length];
        int first = Array.IndexOf(ids, sep);
        if (first >= 0)
            for (int i = first + 1; i < ids.Length; i++)
                types[i] = 1;
        return types;
    }

    /// <summary>
    /// The <paramref name="k"/> highest logits at <paramref name="position"/> of one input, highest first: the next
    /// tokens of a causal LM, the [MASK] fillers of a masked one.
    /// </summary>
    public IReadOnlyList<(int Id, float Logit)> TopTokens(int[] ids, int[]? tokenTypes, int position, int k)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var inputs = new ForwardInputs
        {
            InputIds = tensor(ids.Select(x => (long)x).ToArray()).unsqueeze(0),
            TokenTypeIds = tokenTypes is null ? null : tensor(tokenTypes.Select(x => (long)x).ToArray()).unsqueeze(0),
        };
        var logits = Model.Logits(inputs, tensor(new long[] { position }))[0];
        var (values, indexes) = logits.topk(Math.Min(k, Model.VocabSize));
        var v = values.data<float>().ToArray();
        var ix = indexes.data<long>().ToArray();
        return v.Select((logit, i) => ((int)ix[i], logit)).ToList();
    }

    /// <summary>The prediction position: the first [MASK] for masked LMs, the last token for causal LMs.</summary>
    public int PredictionPosition(int[] ids)
    {
        if (Model.IsCausal)
            return ids.Length - 1;
        int mask = Tokenizer?.MaskId ?? 103;
        int at = Array.IndexOf(ids, mask);
        if (at < 0)
            throw new ArgumentException($"a masked LM needs a mask token (id {mask}) in the input");
        return at;
    }
}
