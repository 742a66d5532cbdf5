namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>A tokenizer.json <c>model</c>: turns one pre-tokenized piece into ids.</summary>
internal interface IHfModel
{
    /// <summary>"bpe", "wordpiece", "unigram" or "wordlevel" (the suffix of the tokenizer Kind).</summary>
    string Kind { get; }

    int VocabSize { get; }

    string? UnkToken { get; }

    void Tokenize(string piece, List<int> ids);

    int? TokenToId(string token);

    string? IdToToken(int id);
}
