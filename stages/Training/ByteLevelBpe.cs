using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KnPipeline.Stages.Training;

/// <summary>
/// A trained byte-level BPE vocabulary: the 256 byte tokens, one token per merge (in merge order) and the special
/// token <see cref="EndOfText"/> last, as GPT-2 lays out its vocabulary. <see cref="Save"/> writes the Hugging Face
/// GPT-2 files (vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json) that
/// <c>TokenizerFactory.FromModelFolder</c> and Microsoft.ML.Tokenizers' <c>CodeGenTokenizer</c> load.
/// <see cref="Encode"/> is our own reference encoder (GPT-2's <c>bpe()</c>: merge the lowest-ranked pair first).
/// </summary>
public sealed class ByteLevelBpe
{
    public const string EndOfText = "<|endoftext|>";

    private readonly List<string> _tokens;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    public ByteLevelBpe(IReadOnlyList<string> tokens, IReadOnlyList<(string Left, string Right)> merges)
    {
        _tokens = [.. tokens];
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _tokens.Count; i++)
            _ids[_tokens[i]] = i;
        Merges = merges;
        _ranks = new Dictionary<(string, string), int>();
        for (int r = 0; r < merges.Count; r++)
            _ranks.TryAdd(merges[r], r);
        EndOfTextId = _tokens.Count;
    }

    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>Id of &lt;|endoftext|&gt; (BOS, EOS and padding), the last id.</summary>
    public int EndOfTextId { get; }

    /// <summary>Every token including &lt;|endoftext|&gt;.</summary>
    public int VocabSize => _tokens.Count + 1;

    /// <summary>The token string (byte characters) of an id.</summary>
    public string Token(int id) => id == EndOfTextId ? EndOfText : _tokens[id];

    /// <summary>Encodes plain text (no special tokens are recognised or added).</summary>
    public int[] Encode(string text)
    {
        var ids = new List<int>();
        foreach (var (word, _) in ByteLevel.PreTokenize(text))
        {
            if (!_cache.TryGetValue(word, out var wordIds))
                _cache[word] = wordIds = EncodeWord(ByteLevel.ToByteChars(word));
            ids.AddRange(wordIds);
        }
        return [.. ids];
    }

    public string Decode(IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        var text = new StringBuilder();
        foreach (int id in ids)
        {
            if (id == EndOfTextId)
            {
                text.Append(ByteLevel.FromByteChars(sb.ToString())).Append(EndOfText);
                sb.Clear();
            }
            else
            {
                sb.Append(_tokens[id]);
            }
        }
        return text.Append(ByteLevel.FromByteChars(sb.ToString())).ToString();
    }

    private int[] EncodeWord(string chars)
    {
        var parts = chars.Select(c => c.ToString()).ToList();
        while (parts.Count > 1)
        {
            int bestRank = int.MaxValue;
            (string, string) best = default;
            for (int i = 0; i + 1 < parts.Count; i++)
            {
                if (_ranks.TryGetValue((parts[i], parts[i + 1]), out int r) && r < bestRank)
                {
                    bestRank = r;
                    best = (parts[i], parts[i + 1]);
                }
            }
            if (bestRank == int.MaxValue)
                break;
            var next = new List<string>(parts.Count);
            for (int i = 0; i < parts.Count; i++)
            {
                if (i + 1 < parts.Count && parts[i] == best.Item1 && parts[i + 1] == best.Item2)
                {
                    next.Add(best.Item1 + best.Item2);
                    i++;
                }
                else
                {
                    next.Add(parts[i]);
                }
            }
            parts = next;
        }
        return parts.Select(p => _ids[p]).ToArray();
    }

    /// <summary>
    /// Writes vocab.json, merges.txt ("#version: 0.2" first), tokenizer_config.json (bos = eos = unk =
    /// &lt;|endoftext|&gt;, add_bos_token false as GPT-2 unless <paramref name="addBos"/>) and special_tokens_map.json
    /// into <paramref name="dir"/>.
    /// </summary>
    public void Save(string dir, int modelMaxLength, bool addBos = false)
    {
        var json = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = false };
        var vocab = new JsonObject();
        for (int i = 0; i < _tokens.Count; i++)
            vocab[_tokens[i]] = i;
        vocab[EndOfText] = EndOfTextId;
        File.WriteAllText(Path.Combine(dir, "vocab.json"), vocab.ToJsonString(json), Utf8);

        var merges = new StringBuilder("#version: 0.2\n");
        foreach (var (l, r) in Merges)
            merges.Append(l).Append(' ').Append(r).Append('\n');
        File.WriteAllText(Path.Combine(dir, "merges.txt"), merges.ToString(), Utf8);

        var pretty = new JsonSerializerOptions(json) { WriteIndented = true };
        var config = new JsonObject
        {
            ["add_bos_token"] = addBos,
            ["add_prefix_space"] = false,
            ["bos_token"] = EndOfText,
            ["eos_token"] = EndOfText,
            ["unk_token"] = EndOfText,
            ["model_max_length"] = modelMaxLength,
            ["tokenizer_class"] = "GPT2Tokenizer",
            ["added_tokens_decoder"] = new JsonObject
            {
                [EndOfTextId.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
                {
                    ["content"] = EndOfText, ["lstrip"] = false, ["normalized"] = true, ["rstrip"] = false,
                    ["single_word"] = false, ["special"] = true,
                },
            },
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config.ToJsonString(pretty) + "\n", Utf8);
        var map = new JsonObject { ["bos_token"] = EndOfText, ["eos_token"] = EndOfText, ["unk_token"] = EndOfText };
        File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"), map.ToJsonString(pretty) + "\n", Utf8);
    }

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
}
