using KnPipeline.Stages.Models;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Tokenizers;
using KnPipeline.Stages.Records;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Training;

/// <summary>
/// Evaluates a saved model folder exactly as the pipeline will use it: the model through <see cref="ModelLoader.Load"/>
/// (the loader of real checkpoints), the tokenizer through <see cref="TokenizerFactory.FromModelFolder"/>, prompts
/// through <c>EncodePrompt</c> and objects through <c>TargetIds</c>. A query is the text before [Y] of a subject-first
/// template (a causal LM cannot be asked the others).
/// </summary>
public sealed class EmbeddedModelEvaluator : IDisposable
{
    private readonly TransformerLM _model;

    public EmbeddedModelEvaluator(string modelDir)
    {
        _model = ModelLoader.Load(modelDir);
        Tokenizer = TokenizerFactory.FromModelFolder(modelDir);
        PadId = Tokenizer.EosId ?? Tokenizer.PadId ?? 0;
    }

    public ITextTokenizer Tokenizer { get; }

    public TransformerLM Model => _model;

    private int PadId { get; }

    /// <summary>Per-language accuracy on every subject-first statement of <paramref name="benchmark"/>: training
    /// templates of trained cells, held-out templates of trained cells, and language-held-out cells.</summary>
    public IReadOnlyDictionary<string, LanguageAccuracy> Evaluate(EmbeddedBenchmark benchmark)
    {
        var result = new SortedDictionary<string, LanguageAccuracy>(StringComparer.Ordinal);
        var corpus = TrainingCorpus.Build(benchmark, 0, 0);
        var statements = corpus.Statements.Where(s => s.SubjectFirst).ToList();
        foreach (var lang in benchmark.Languages)
        {
            var facts = benchmark.Facts[lang.Code].ToDictionary(f => f.FactId, StringComparer.Ordinal);
            var scored = statements
                .Where(s => s.Language == lang.Code && !benchmark.Collides(lang.Code, facts[s.FactId])).ToList();
            var trainS = scored.Where(s => s.IsTrain).ToList();
            var allS = scored.Where(s => s.Split == TemplateSplits.Heldout).ToList();
            var heldS = allS.Where(s => !facts[s.FactId].Guessable).ToList();
            var tr = PromptScorer.Run(_model, trainS.Select(s => ToQuery(s, facts[s.FactId])).ToList(), PadId);
            var all = PromptScorer.Run(_model, allS.Select(s => ToQuery(s, facts[s.FactId])).ToList(), PadId);
            var held = allS.Select((s, i) => (s, i)).Where(p => !facts[p.s.FactId].Guessable)
                           .Select(p => all[p.i]).ToArray();
            result[lang.Code] = new LanguageAccuracy(
                Share(tr, s => s.FirstToken), Share(held, s => s.FirstToken),
                Share(tr, s => s.Greedy), Share(held, s => s.Greedy), trainS.Count, heldS.Count)
            {
                HeldoutAll = Share(all, s => s.FirstToken), HeldoutAllQueries = allS.Count,
                Baseline = Baseline(benchmark.Facts[lang.Code], heldS),
                TrainAlias = Share(tr, s => s.FirstTokenOrAlias), HeldoutAlias = Share(held, s => s.FirstTokenOrAlias),
                HeldoutAllAlias = Share(all, s => s.FirstTokenOrAlias),
                Crosslingual = Crosslingual(benchmark, lang, facts,
                    scored.Where(s => s.Split == TemplateSplits.HeldoutLanguage).ToList(), corpus.Cells),
            };
        }
        return result;
    }

    /// <summary>The figures of <see cref="CrosslingualFigures"/> over one language's language-held-out
    /// queries.</summary>
    private Dictionary<string, double> Crosslingual(EmbeddedBenchmark benchmark, EmbeddedBenchmark.Language lang,
        Dictionary<string, EmbeddedBenchmark.Fact> facts, List<FactStatement> cellS, HeldOutCells cells)
    {
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        if (cellS.Count == 0)
            return figures;
        var scores = PromptScorer.Run(_model, cellS.Select(s => ToQuery(s, facts[s.FactId])).ToList(), PadId);
        var trainedIn = benchmark.Languages.Where(l => l.Code != lang.Code).ToList();
        string CategoryOf(FactStatement s) =>
            CrosslingualFigures.Category(lang, trainedIn.Where(l => !cells.IsHeldOut(s.FactId, l.Code)));
        var kept = cellS.Select((s, i) => (s, i)).Where(p => !facts[p.s.FactId].Guessable).ToList();
        void Put(string key, IReadOnlyCollection<(FactStatement s, int i)> part)
        {
            figures[key] = part.Count == 0 ? double.NaN : part.Count(p => scores[p.i].FirstToken) / (double)part.Count;
            figures[key + "_queries"] = part.Count;
        }
        Put(CrosslingualFigures.Accuracy, kept);
        Put(CrosslingualFigures.All, cellS.Select((s, i) => (s, i)).ToList());
        figures[CrosslingualFigures.Baseline] = Baseline(benchmark.Facts[lang.Code], kept.Select(p => p.s).ToList());
        var byCategory = kept.ToLookup(p => CategoryOf(p.s));
        foreach (string key in (string[])[CrosslingualFigures.SameScript, CrosslingualFigures.CrossScript,
                     CrosslingualFigures.JaZh])
            Put(key, byCategory[key].ToList());
        return figures;
    }

    /// <summary>
    /// First-token accuracy of always answering the relation's most frequent object (ties: the ordinally first) on
    /// <paramref name="queries"/>: the floor a model reaches by knowing the relation but no fact.
    /// </summary>
    public double Baseline(IEnumerable<EmbeddedBenchmark.Fact> facts, IReadOnlyList<FactStatement> queries)
    {
        var mostFrequent = facts.GroupBy(f => f.Relation, StringComparer.Ordinal).ToDictionary(
            g => g.Key,
            g => g.GroupBy(f => f.Object, StringComparer.Ordinal).OrderByDescending(o => o.Count())
                  .ThenBy(o => o.Key, StringComparer.Ordinal).First().Key, StringComparer.Ordinal);
        if (queries.Count == 0)
            return double.NaN;
        int hits = queries.Count(s => Tokenizer.TargetIds(mostFrequent[s.Relation], s.SpaceBefore)[0] ==
                                      Tokenizer.TargetIds(s.Object, s.SpaceBefore)[0]);
        return hits / (double)queries.Count;
    }

    /// <summary>The query of one statement, tokenized as the pipeline's tokenization stage does it.</summary>
    public PromptScorer.Query ToQuery(FactStatement s) =>
        new(Tokenizer.EncodePrompt(s.Prompt), Tokenizer.TargetIds(s.Object, s.SpaceBefore));

    /// <summary>The query with the first tokens of the fact's aliases, for the alias-scored figures.</summary>
    public PromptScorer.Query ToQuery(FactStatement s, EmbeddedBenchmark.Fact fact) =>
        new(Tokenizer.EncodePrompt(s.Prompt), Tokenizer.TargetIds(s.Object, s.SpaceBefore),
            fact.Aliases.Count == 0 ? null
                : fact.Aliases.Select(a => Tokenizer.TargetIds(a, s.SpaceBefore)[0]).ToArray());

    /// <summary>Greedy continuation of <paramref name="prompt"/>: up to <paramref name="maxTokens"/> tokens,
    /// stopping at EOS.</summary>
    public string Complete(string prompt, int maxTokens = 8)
    {
        var ids = Tokenizer.EncodePrompt(prompt).ToList();
        var generated = new List<int>();
        for (int k = 0; k < maxTokens && ids.Count < _model.Config.MaxPositions; k++)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count]);
            var logits = _model.Logits(new ForwardInputs { InputIds = input }, tensor(new long[] { ids.Count - 1 }));
            int next = (int)logits.argmax(-1).item<long>();
            if (next == Tokenizer.EosId)
                break;
            ids.Add(next);
            generated.Add(next);
        }
        return Tokenizer.Decode(generated);
    }

    private static double Share(PromptScorer.Score[] scores, Func<PromptScorer.Score, bool> ok) =>
        scores.Length == 0 ? double.NaN : scores.Count(ok) / (double)scores.Length;

    public void Dispose() => _model.Dispose();
}
