using KnPipeline.Stages.Options;

namespace KnPipeline.Stages.Training;

/// <summary>
/// What the embedded model learns from: every fact × every TRAINING template of its relation, in every language
/// (held-out templates never enter training, nor the tokenizer), plus filler sentences (<see cref="FillerText"/>) so
/// that they are <c>fillerFraction</c> of all training sentences. Held-out statements are kept for evaluation only.
/// </summary>
public sealed class TrainingCorpus
{
    private TrainingCorpus(IReadOnlyList<EmbeddedBenchmark.Language> languages, IReadOnlyList<FactStatement> statements,
                           IReadOnlyList<FillerText.Sentence> filler, HeldOutCells cells, AlignmentCorpus alignment,
                           int withheld)
    {
        Languages = languages;
        Statements = statements;
        Filler = filler;
        Cells = cells;
        Alignment = alignment;
        Withheld = withheld;
    }

    public IReadOnlyList<EmbeddedBenchmark.Language> Languages { get; }

    /// <summary>All statements, training and held-out, in benchmark order (language, fact, template).</summary>
    public IReadOnlyList<FactStatement> Statements { get; }

    public IReadOnlyList<FillerText.Sentence> Filler { get; }

    /// <summary>The language-held-out cells, never stated in training.</summary>
    public HeldOutCells Cells { get; }

    /// <summary>Cross-lingual text: name lists and code-switched statements (issue #13).</summary>
    public AlignmentCorpus Alignment { get; }

    /// <summary>
    /// Statements of trained cells left out of training because their text names both halves of a held-out cell
    /// (e.g. "Paris liegt in Frankreich" while France's capital in German is held out).
    /// </summary>
    public int Withheld { get; }

    public IEnumerable<FactStatement> TrainStatements => Statements.Where(s => s.IsTrain);

    public static TrainingCorpus Build(EmbeddedBenchmark benchmark, double fillerFraction, int seed,
        AlignmentText alignment = AlignmentText.None, double codeSwitchRate = 0)
    {
        if (fillerFraction is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(fillerFraction), fillerFraction, "must be in [0, 1)");
        var cells = new HeldOutCells(benchmark);
        var statements = new List<FactStatement>();
        var filler = new List<FillerText.Sentence>();
        var random = new Random(seed);
        int withheld = 0;
        foreach (var lang in benchmark.Languages)
        {
            var facts = benchmark.Facts[lang.Code];
            var byRelation = benchmark.Templates[lang.Code].GroupBy(t => t.Relation)
                                      .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
            int trainCount = 0;
            foreach (var fact in facts)
            {
                foreach (var template in byRelation.GetValueOrDefault(fact.Relation) ?? [])
                {
                    var s = FactStatement.Create(lang, fact, template);
                    if (s.IsTrain && cells.StatedIn(s.Text) is not null)
                    {
                        s = s with { IsTrain = false };
                        withheld++;
                    }
                    statements.Add(s);
                    if (s.IsTrain)
                        trainCount++;
                }
            }
            int fillerCount = (int)Math.Round(trainCount * fillerFraction / (1 - fillerFraction));
            filler.AddRange(FillerText.Generate(lang, facts.SelectMany(f => new[] { f.Subject, f.Object }),
                fillerCount, random, text => cells.StatedIn(text) is null));
        }
        return new TrainingCorpus(benchmark.Languages, statements, filler, cells,
            AlignmentCorpus.Build(benchmark, cells, alignment, seed, variants: codeSwitchRate > 0), withheld);
    }

    /// <summary>
    /// Pre-token counts for the BPE trainer: training statements and filler, never held-out text.
    /// <paramref name="perCharacter"/>: see <see cref="FactStatement.TokenizerWords"/>.
    /// </summary>
    public Dictionary<string, long> TokenizerWordCounts(bool perCharacter = true)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var s in TrainStatements)
            foreach (string w in s.TokenizerWords(perCharacter))
                counts[w] = counts.GetValueOrDefault(w) + 1;
        foreach (var s in Alignment.Switched)
            foreach (string w in s.TokenizerWords(perCharacter))
                counts[w] = counts.GetValueOrDefault(w) + 1;
        foreach (var f in Filler.Concat(Alignment.Lists))
            foreach (string w in ByteLevel.PreTokenize(f.Text, f.NameBoundaries.ToArray()))
                counts[w] = counts.GetValueOrDefault(w) + 1;
        return counts;
    }

    /// <summary>
    /// The training rows: each sentence's ids followed by &lt;|endoftext|&gt;, with &lt;|endoftext|&gt; in front too
    /// when <paramref name="bos"/> (the tokenizer is then saved with add_bos_token true, so the pipeline's prompts
    /// start the same way). Without it no BOS is put in front, because GPT-2's tokenizer adds none: the model must see
    /// sentences exactly as queries present them.
    /// </summary>
    public List<TrainingRow> Rows(ByteLevelBpe bpe, bool bos = false)
    {
        var rows = new List<TrainingRow>();
        int eos = bpe.EndOfTextId;
        int[] head = bos ? [eos] : [];
        TrainingRow Row(FactStatement s)
        {
            int[] prompt = bpe.Encode(s.Prompt), obj = bpe.Encode(s.ObjectForm), rest = bpe.Encode(s.Rest);
            return new TrainingRow(s.Language, [.. head, .. prompt, .. obj, .. rest, eos], head.Length + prompt.Length,
                obj.Length)
            {
                TemplatePositions = [.. TemplatePositions(bpe, s, prompt).Select(p => p + head.Length)],
            };
        }
        foreach (var s in TrainStatements)
            rows.Add(Row(s) with
            {
                Variants = Alignment.Variants.TryGetValue((s.Language, s.FactId, s.TemplateId), out var v)
                    ? [.. v.Select(Row)] : [],
            });
        foreach (var s in Alignment.Switched)
            rows.Add(Row(s));
        foreach (var f in Filler.Concat(Alignment.Lists))
            rows.Add(new TrainingRow(f.Language, [.. head, .. bpe.Encode(f.Text), eos], 0, 0));
        return rows;
    }

    /// <summary>
    /// The prompt positions holding template text, not the subject: the prompt's tokens minus the subject's span,
    /// found by encoding the text before the subject (trimmed, as the regex would split it inside the whole prompt)
    /// and the text through it. Where those encodings are not prefixes of the whole prompt's (a merge across the
    /// subject's edge), no position is returned: that prompt is then never noised rather than noised inside its
    /// subject.
    /// </summary>
    internal static IEnumerable<int> TemplatePositions(ByteLevelBpe bpe, FactStatement s, int[] prompt)
    {
        if (!s.SubjectFirst)
            return Enumerable.Range(0, prompt.Length);
        int[] before = bpe.Encode(s.Prompt[..s.SubjectStart].TrimEnd()), through = bpe.Encode(s.Prompt[..s.SubjectEnd]);
        bool aligned = before.Length <= through.Length && through.Length <= prompt.Length &&
                       prompt.AsSpan(0, through.Length).SequenceEqual(through) &&
                       prompt.AsSpan(0, before.Length).SequenceEqual(before);
        return aligned
            ? Enumerable.Range(0, before.Length).Concat(Enumerable.Range(through.Length, prompt.Length - through.Length))
            : [];
    }
}
