using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KnPipeline.Stages.Data;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Records;
using KnPipeline.Stages.Training;
using static TorchSharp.torch;

namespace KnPipeline.Bench;

/// <summary>
/// The files of the long memory run, written the way a user would bring them, so the child reads them through the
/// same loaders as a real run: a synthetic benchmark folder in the RML-LAMA record shape
/// (<c>benchmarks-data/README.md</c>), a tiny GPT-2 in Hugging Face layout with a byte-level BPE trained on that data,
/// and a config pointing at both.
/// </summary>
public static class LongRunInputs
{
    /// <summary>
    /// Facts per chunk: 18 facts × 56 queries ≈ 1,000 queries a chunk, so the default million queries is 993 chunks
    /// (thirty-two part files each), enough for anything kept per chunk to show (the kept markers that grew the
    /// ParaRel run by 3 KB a fact would be 50 MB here). Fewer, larger chunks cost no less: at 72 facts the CPU time
    /// of a 20,000-query run was the same within noise.
    /// </summary>
    public const int ChunkFacts = 18;

    /// <summary>What was written: the folders, the config, and the work it plans.</summary>
    public sealed record Layout(string DataDir, string ModelDir, string ConfigPath, long Facts, long Queries,
        int Chunks);

    private static readonly JsonSerializerOptions Json =
        new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// Writes data, model and config under <paramref name="root"/>, with the fewest facts that give at least
    /// <paramref name="queries"/> causal queries (templates with [Y] before [X] give none to a causal model).
    /// </summary>
    public static Layout Write(string root, long queries) => Write(root, queries, 0, false, []);

    /// <summary>
    /// The word a rigged model answers to every prompt (<c>Write</c> with <c>answered</c>); a pseudo-word of no
    /// script's syllables, so no other word starts with its token.
    /// </summary>
    public const string AnswerWord = "Zed";

    /// <summary>The languages written with spaces, where <see cref="AnswerWord"/> is a token of its own.</summary>
    private static readonly string[] AnswerLanguages = ["en", "de", "fi", "tr", "ru", "ko"];

    /// <param name="facts">Stop after this many whole facts instead (0: stop at <paramref name="queries"/>).</param>
    /// <param name="answered">
    /// Edits are made on correctly answered queries only, and a random model answers none: with this, fact i's object
    /// in one spaced language (the i-th, cyclically) starts with <see cref="AnswerWord"/>, and the model's final layer
    /// norm is made to answer that word to every prompt, so every fact has correct queries in exactly one language
    /// while the relation's other objects there keep other first tokens (the update's new object needs one).
    /// </param>
    /// <param name="extraConfig">YAML lines appended to the config (top-level sections).</param>
    public static Layout Write(string root, long queries, long facts, bool answered, IReadOnlyList<string> extraConfig)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queries, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(facts);
        var synthetic = new SyntheticBenchmark();
        Func<FactRecord, FactRecord> shape = answered ? Answered : f => f;
        string data = Path.Combine(root, "data"), model = Path.Combine(root, "model");
        var (written, planned) = WriteBenchmark(synthetic, data, facts > 0 ? long.MaxValue : queries, facts, shape);
        WriteModel(synthetic, model, shape, answered);
        string config = Path.Combine(root, "long-run.yaml");
        File.WriteAllText(config, Config(data, model) + string.Concat(extraConfig.Select(l => l + "\n")), Utf8);
        return new Layout(data, model, config, written, planned, (int)((written + ChunkFacts - 1) / ChunkFacts));
    }

    private static FactRecord Answered(FactRecord f)
    {
        long i = long.Parse(f.FactId.AsSpan(f.FactId.IndexOf('-') + 1), CultureInfo.InvariantCulture);
        return f.Language == AnswerLanguages[i % AnswerLanguages.Length]
            ? f with { Object = AnswerWord + " " + f.Object }
            : f;
    }

    private static (long Facts, long Queries) WriteBenchmark(SyntheticBenchmark synthetic, string dir, long queries,
        long maxFacts, Func<FactRecord, FactRecord> shape)
    {
        Directory.CreateDirectory(Path.Combine(dir, "facts"));
        Directory.CreateDirectory(Path.Combine(dir, "templates"));
        WriteLines(Path.Combine(dir, RmlLamaLoader.LanguagesFile), synthetic.Languages.Select(l => new JsonObject
        {
            ["language"] = l.Code, ["name"] = l.Name, ["family"] = "synthetic", ["script"] = "", ["spaces"] = l.Spaces,
        }));
        WriteLines(Path.Combine(dir, RmlLamaLoader.RelationsFile),
            synthetic.Relations.Select(r => new JsonObject { ["relation"] = r, ["name"] = r }));
        foreach (var group in synthetic.Templates.GroupBy(t => t.Language))
            WriteLines(Path.Combine(dir, "templates", group.Key + ".jsonl"), group.Select(t => new JsonObject
            {
                ["relation"] = t.Relation, ["template_id"] = $"{t.Language}-{t.TemplateId}", ["text"] = t.Text,
                ["split"] = t.Split,
            }));

        var writers = synthetic.Languages.ToDictionary(l => l.Code,
            l => new StreamWriter(Path.Combine(dir, "facts", l.Code + ".jsonl"), false, Utf8));
        long facts = 0, planned = 0;
        try
        {
            // Facts come language by language; a fact is whole once its last language is written.
            string last = synthetic.Languages[^1].Code;
            foreach (var f in synthetic.Facts().Select(shape))
            {
                writers[f.Language].Write(new JsonObject
                {
                    ["fact_id"] = f.FactId, ["relation"] = f.Relation, ["subject"] = f.Subject, ["object"] = f.Object,
                    ["aliases"] = new JsonArray(),
                }.ToJsonString(Json));
                writers[f.Language].Write('\n');
                planned += synthetic.TemplatesFor(f.Language, f.Relation).Count(t => t.SubjectFirst);
                if (f.Language != last)
                    continue;
                facts++;
                if (planned >= queries || facts == maxFacts)
                    break;
            }
        }
        finally
        {
            foreach (var w in writers.Values)
                w.Dispose();
        }
        return (facts, planned);
    }

    private static void WriteLines(string path, IEnumerable<JsonObject> lines)
    {
        using var w = new StreamWriter(path, false, Utf8);
        foreach (var line in lines)
        {
            w.Write(line.ToJsonString(Json));
            w.Write('\n');
        }
    }

    /// <summary>
    /// A 2-layer GPT-2, width 32, FFN 64, random N(0, 0.1) weights: the device stage costs little, so the run spends
    /// its time in the parts whose memory could grow with the run (expansion, tokenization, the writer, the run
    /// folder). The tokenizer is a byte-level BPE of 400 merges learned from the first facts and the templates, so
    /// prompts are 5–19 tokens (median 11) and the BPE word cache meets new words all through the run.
    /// </summary>
    private static void WriteModel(SyntheticBenchmark synthetic, string dir, Func<FactRecord, FactRecord> shape,
        bool answered)
    {
        Directory.CreateDirectory(dir);
        var words = new Dictionary<string, long>(StringComparer.Ordinal);
        void Count(string text)
        {
            foreach (var (word, _) in ByteLevel.PreTokenize(text))
                words[word] = words.GetValueOrDefault(word) + 1;
        }
        foreach (var t in synthetic.Templates)
            Count(t.Text.Replace(TemplateRecord.SubjectSlot, "").Replace(TemplateRecord.ObjectSlot, ""));
        foreach (var f in synthetic.Facts().Take(8 * 500).Select(shape))
        {
            Count(" " + f.Subject);
            Count(" " + f.Object);
        }
        var bpe = new BpeTrainer { MaxMerges = 400 }.Train(words);
        const int positions = 128;
        var configJson = new JsonObject
        {
            ["architectures"] = new JsonArray("GPT2LMHeadModel"), ["model_type"] = "gpt2",
            ["vocab_size"] = bpe.VocabSize, ["n_positions"] = positions, ["n_ctx"] = positions, ["n_embd"] = 32,
            ["n_layer"] = 2, ["n_head"] = 2, ["n_inner"] = 64, ["activation_function"] = "gelu_new",
            ["layer_norm_epsilon"] = 1e-5, ["tie_word_embeddings"] = true, ["bos_token_id"] = bpe.EndOfTextId,
            ["eos_token_id"] = bpe.EndOfTextId,
        };
        using var model = ModelLoader.Create(ModelConfig.Parse(configJson, "long-run bench model"));
        var gen = new Generator(11);
        using (no_grad())
            foreach (var (_, p) in model.named_parameters())
                using (NewDisposeScope())
                    p.copy_(randn(p.shape, generator: gen) * 0.1);
        if (answered)
            Answer(model, bpe);
        File.WriteAllText(Path.Combine(dir, "config.json"), configJson.ToJsonString() + "\n", Utf8);
        SafetensorsFile.Write(Path.Combine(dir, "model.safetensors"),
            model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)),
            new Dictionary<string, string> { ["format"] = "pt" });
        bpe.Save(dir, positions);
    }

    /// <summary>
    /// Makes the model answer <see cref="AnswerWord"/> to every prompt: its (tied) embedding row gets norm 3 and the
    /// final layer norm's bias is that row, while the norm's gain drops to 0.05. The answer's logit is then 9 against
    /// at most about 1 for any other token (dot products with rows of norm 0.6), whatever the prompt; the small gain
    /// keeps a gradient through the layers, so attributions, KN sets and edits are not degenerate.
    /// </summary>
    private static void Answer(TransformerLM model, ByteLevelBpe bpe)
    {
        var ids = bpe.Encode(" " + AnswerWord);
        if (ids.Length != 1)
            throw new InvalidOperationException(
                $"the bench tokenizer splits \" {AnswerWord}\" into {ids.Length} tokens");
        var p = model.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        Tensor Find(string suffix) => p.Single(x => x.Key.EndsWith(suffix, StringComparison.Ordinal)).Value;
        var gen = new Generator(13);
        using (no_grad())
        using (NewDisposeScope())
        {
            var wte = Find("wte.weight");
            var row = randn(wte.shape[1], generator: gen);
            row = row * (3.0 / row.norm().item<float>());
            wte[ids[0]].copy_(row);
            Find("ln_f.bias").copy_(row);
            Find("ln_f.weight").fill_(0.05);
        }
    }

    /// <summary>
    /// Every query attributed (<c>localize: all</c>: a random model answers almost none correctly), over one layer with
    /// two integration steps and no full score vectors; progress and the log file off, so the child's only output is
    /// the run folder.
    /// </summary>
    private static string Config(string data, string model) => string.Join('\n',
        "run:",
        "  seed: 7",
        $"  chunk_facts: {ChunkFacts.ToString(CultureInfo.InvariantCulture)}",
        "  progress_interval_s: 3600",
        "data:",
        $"  source: {JsonSerializer.Serialize(data)}",
        "  format: rml-lama",
        // Every fact: the marks are fractions of the bench's own plan (the default samples 10 per relation).
        "  facts_per_relation: 0",
        "model:",
        $"  path: {JsonSerializer.Serialize(model)}",
        "  kind: causal",
        "attribution:",
        "  steps: 2",
        "  layers: [0]",
        "  top_k: 5",
        "  keep_full: false",
        "  localize: all",
        "  batch_rows: 4096",
        "logging:",
        "  level: warning",
        "  file: false",
        "");
}
