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
    public static Layout Write(string root, long queries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queries, 1);
        var synthetic = new SyntheticBenchmark();
        string data = Path.Combine(root, "data"), model = Path.Combine(root, "model");
        var (facts, planned) = WriteBenchmark(synthetic, data, queries);
        WriteModel(synthetic, model);
        string config = Path.Combine(root, "long-run.yaml");
        File.WriteAllText(config, Config(data, model), Utf8);
        return new Layout(data, model, config, facts, planned, (int)((facts + ChunkFacts - 1) / ChunkFacts));
    }

    private static (long Facts, long Queries) WriteBenchmark(SyntheticBenchmark synthetic, string dir, long queries)
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
            foreach (var f in synthetic.Facts())
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
                if (planned >= queries)
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
    private static void WriteModel(SyntheticBenchmark synthetic, string dir)
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
        foreach (var f in synthetic.Facts().Take(8 * 500))
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
        File.WriteAllText(Path.Combine(dir, "config.json"), configJson.ToJsonString() + "\n", Utf8);
        SafetensorsFile.Write(Path.Combine(dir, "model.safetensors"),
            model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)),
            new Dictionary<string, string> { ["format"] = "pt" });
        bpe.Save(dir, positions);
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
