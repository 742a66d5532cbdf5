namespace KnPipeline.Stages.Models.Core;

/// <summary>
/// One tokenizer interface over every format a Hugging Face model folder can carry (WordPiece vocab.txt, byte-level
/// BPE vocab.json + merges.txt, SentencePiece tokenizer.model, tokenizer.json). Stages only ever see this.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>What the tokenizer was built from, e.g. "wordpiece", "byte-bpe", "sentencepiece", "tokenizer.json/bpe".</summary>
    string Kind { get; }

    int VocabSize { get; }

    /// <summary>Encodes plain text with no special tokens added (no BOS, CLS or SEP).</summary>
    int[] Encode(string text);

    /// <summary>
    /// Encodes a prompt as the model expects it at inference: BOS first when the tokenizer config asks for it
    /// (LLaMA-style), [CLS] … [SEP] for BERT-style models, nothing added for GPT-2-style byte-level BPE.
    /// </summary>
    int[] EncodePrompt(string text);

    /// <summary>
    /// The ids of <paramref name="objectText"/> as a continuation after preceding text: a leading space for
    /// byte-level BPE and SentencePiece (so " Paris", not "Paris"), never a BOS. Languages written without spaces
    /// (<paramref name="spaceBefore"/> false) get no leading space.
    /// </summary>
    int[] TargetIds(string objectText, bool spaceBefore = true);

    string Decode(IEnumerable<int> ids);

    /// <summary>The vocabulary string of one id, or null when out of range.</summary>
    string? IdToToken(int id);

    int? TokenToId(string token);

    int? BosId { get; }
    int? EosId { get; }
    int? PadId { get; }
    int? UnkId { get; }
    /// <summary>[MASK] (or &lt;mask&gt;) for masked LMs; null for causal tokenizers.</summary>
    int? MaskId { get; }
    int? ClsId { get; }
    int? SepId { get; }
}
