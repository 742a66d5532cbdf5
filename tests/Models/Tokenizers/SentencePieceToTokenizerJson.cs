using System.Text;
using System.Text.Json.Nodes;

namespace KnPipeline.Tests.Models.Tokenizers;

/// <summary>
/// Writes the tokenizer.json that transformers' LlamaConverter makes from a SentencePiece BPE model: the pieces as the
/// vocabulary, merges from every split of a piece into two pieces (ordered by the merged piece's score), Metaspace
/// (prepend_scheme "first", no split), byte fallback, and the "&lt;s&gt; $A" template. Reads the protobuf by hand.
/// </summary>
internal static class SentencePieceToTokenizerJson
{
    public static string Convert(string modelPath)
    {
        var pieces = ReadPieces(File.ReadAllBytes(modelPath));
        var vocab = new Dictionary<string, int>();
        for (int i = 0; i < pieces.Count; i++)
            vocab.TryAdd(pieces[i].Piece, i);

        var merges = new List<(string L, string R, float Score)>();
        foreach (var (piece, score, type) in pieces)
        {
            if (type != 1)   // only normal pieces are merge results
                continue;
            var local = new List<(string, string, float)>();
            for (int k = 1; k < piece.Length; k++)
                if (vocab.ContainsKey(piece[..k]) && vocab.ContainsKey(piece[k..]))
                    local.Add((piece[..k], piece[k..], score));
            merges.AddRange(local.OrderBy(m => vocab[m.Item1]).ThenBy(m => vocab[m.Item2]));
        }
        var ordered = merges.Select((m, i) => (m, i)).OrderByDescending(x => x.m.Score).ThenBy(x => x.i)
            .Select(x => new JsonArray(x.m.L, x.m.R));

        var model = new JsonObject
        {
            ["type"] = "BPE", ["unk_token"] = "<unk>", ["fuse_unk"] = true, ["byte_fallback"] = true,
            ["vocab"] = new JsonObject(vocab.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["merges"] = new JsonArray([.. ordered]),
        };
        var root = JsonNode.Parse("""
            {"version": "1.0",
             "added_tokens": [
               {"id": 0, "content": "<unk>", "special": true, "normalized": false},
               {"id": 1, "content": "<s>", "special": true, "normalized": false},
               {"id": 2, "content": "</s>", "special": true, "normalized": false}],
             "normalizer": null,
             "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false},
             "post_processor": {"type": "TemplateProcessing",
               "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
               "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
             "decoder": {"type": "Sequence", "decoders": [
               {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
               {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}}
            """)!;
        root["model"] = model;
        return root.ToJsonString();
    }

    /// <summary>ModelProto field 1: repeated SentencePiece {1: piece, 2: score (float), 3: type (1 = normal)}.</summary>
    private static List<(string Piece, float Score, int Type)> ReadPieces(byte[] b)
    {
        var result = new List<(string, float, int)>();
        foreach (var (field, value) in Fields(b, 0, b.Length))
        {
            if (field != 1 || value is not (int start, int length))
                continue;
            string piece = "";
            float score = 0;
            int type = 1;
            foreach (var (f, v) in Fields(b, start, start + length))
            {
                if (f == 1 && v is (int s, int l)) piece = Encoding.UTF8.GetString(b, s, l);
                else if (f == 2 && v is float sc) score = sc;
                else if (f == 3 && v is long t) type = (int)t;
            }
            result.Add((piece, score, type));
        }
        return result;
    }

    private static IEnumerable<(int Field, object Value)> Fields(byte[] b, int i, int end)
    {
        while (i < end)
        {
            long key = Varint(b, ref i);
            int field = (int)(key >> 3);
            switch (key & 7)
            {
                case 0: yield return (field, Varint(b, ref i)); break;
                case 1: i += 8; break;
                case 2:
                    int len = (int)Varint(b, ref i);
                    yield return (field, (i, len));
                    i += len;
                    break;
                case 5: yield return (field, BitConverter.ToSingle(b, i)); i += 4; break;
                default: throw new InvalidDataException($"unexpected protobuf wire type {key & 7}");
            }
        }
    }

    private static long Varint(byte[] b, ref int i)
    {
        long r = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte x = b[i++];
            r |= (long)(x & 0x7F) << shift;
            if (x < 0x80)
                return r;
        }
    }
}
