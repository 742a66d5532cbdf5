using System.Text.Json;
using KnPipeline.Stages.Models.Tokenizers.Hf;

namespace KnPipeline.Stages.Models.Tokenizers;

/// <summary>
/// Reads a GPT-2-style vocab.json + merges.txt pair into <see cref="HfTokenizer"/>, the way transformers'
/// GPT2TokenizerFast is built from them: byte-level pre-tokenizer with the GPT-2 regex, BPE with no unknown token,
/// byte-level decoder, and the configured special tokens split out of the text.
/// </summary>
internal static class ByteLevelBpeFiles
{
    public static HfTokenizer Read(string vocabPath, string mergesPath, TokenizerFolderConfig config)
    {
        var vocab = ReadVocab(vocabPath);
        var merges = ReadMerges(mergesPath);
        var model = new BpeModel(vocab, merges, unkToken: null, continuingSubwordPrefix: null, endOfWordSuffix: null,
            fuseUnk: false, byteFallback: false, ignoreMerges: false, source: $"{vocabPath} + {mergesPath}");

        // Special tokens are matched whole in the text, as GPT2Tokenizer does with its added tokens.
        var added = new Dictionary<int, AddedToken>();
        foreach (var (id, content, special) in config.AddedTokens)
            added[id] = new AddedToken(id, content, special, false, false, false, Normalized: !special);
        foreach (string role in (string[])["bos_token", "eos_token", "unk_token", "pad_token", "mask_token"])
        {
            string? s = config.Token(role) ?? SpecialTokenIds.Gpt2Defaults.GetValueOrDefault(role);
            if (s != null && vocab.TryGetValue(s, out int id) && !added.ContainsKey(id))
                added[id] = new AddedToken(id, s, true, false, false, false, false);
        }

        var pre = new ByteLevelPreTokenizer(config.AddPrefixSpace ?? false, useRegex: true);
        return new HfTokenizer("byte-bpe", model, normalizer: null, pre, new ByteLevelDecoder(), [.. added.Values],
            postProcessing: null, config, SpecialTokenIds.Gpt2Defaults);
    }

    private static Dictionary<string, int> ReadVocab(string path)
    {
        try
        {
            var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(path));
            if (vocab == null || vocab.Count == 0)
                throw new InvalidDataException($"{path}: expected a JSON object of token → id, found an empty one");
            return vocab;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: malformed vocab.json (expected a JSON object of token → id): " +
                                           e.Message, e);
        }
    }

    private static List<(string, string)> ReadMerges(string path)
    {
        var merges = new List<(string, string)>();
        int lineNo = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNo++;
            if (line.StartsWith("#version", StringComparison.Ordinal) || line.Length == 0)
                continue;
            string[] parts = line.Split(' ');
            if (parts.Length != 2)
                throw new InvalidDataException($"{path}: line {lineNo} is not a merge of two tokens: '{line}'");
            merges.Add((parts[0], parts[1]));
        }
        return merges;
    }
}
