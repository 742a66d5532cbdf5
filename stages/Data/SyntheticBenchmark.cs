using System.Text;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Data;

/// <summary>
/// A generated benchmark for throughput measurements (<c>pipeline bench data</c>): eight languages in five scripts
/// (two written without spaces, three SOV), a fixed set of templates per relation and language, and an endless,
/// deterministic stream of facts made on the fly, so a benchmark of any size costs no memory. Every eighth
/// template puts [Y] before [X], as SOV templates often do, so the causal skip path is exercised too.
/// The words are pseudo-words from per-script syllables: the data has the shape of a benchmark, not its meaning.
/// </summary>
public sealed class SyntheticBenchmark
{
    private static readonly (string Code, bool Spaces, string[] Syllables)[] Scripts =
    [
        ("en", true, ["ka", "lo", "mer", "sin", "tha", "ve", "dor", "an", "ri", "bel", "qu", "ston"]),
        ("de", true, ["sch", "ber", "gen", "hau", "zu", "lin", "wald", "ei", "mar", "tor", "ke", "burg"]),
        ("fi", true, ["kal", "va", "la", "mäk", "ine", "joki", "su", "om", "ta", "rin", "hel", "sii"]),
        ("tr", true, ["kar", "de", "niz", "ay", "lı", "baş", "ko", "yol", "er", "can", "tep", "su"]),
        ("ru", true, ["мо", "ск", "ва", "пе", "тер", "бург", "ни", "ко", "лай", "ов", "ан", "дре"]),
        ("ko", true, ["서", "울", "부", "산", "김", "민", "준", "대", "한", "국", "도", "시"]),
        ("ja", false, ["とう", "きょ", "う", "おお", "さか", "やま", "だ", "たろ", "かわ", "もと", "ひろ", "し"]),
        ("zh-hans", false, ["北", "京", "上", "海", "王", "明", "李", "华", "中", "国", "南", "山"]),
    ];

    private readonly Dictionary<(string, string), TemplateRecord[]> _templates = new();
    private readonly long _seed;

    /// <param name="relations">Number of relations (P1..Pn).</param>
    /// <param name="templatesPerRelation">Templates per relation and language.</param>
    /// <param name="seed">Seed of the generated words.</param>
    public SyntheticBenchmark(int relations = 20, int templatesPerRelation = 8, long seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(relations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(templatesPerRelation, 1);
        _seed = seed;
        Relations = Enumerable.Range(1, relations).Select(r => $"P{r}").ToArray();
        Languages = Scripts.Select(s => new LanguageInfo(s.Code, s.Code, "", "", s.Spaces)).ToArray();
        var all = new List<TemplateRecord>();
        foreach (var (code, spaces, syllables) in Scripts)
            foreach (string relation in Relations)
            {
                var list = new TemplateRecord[templatesPerRelation];
                for (int t = 0; t < templatesPerRelation; t++)
                {
                    string w1 = Word(syllables, $"{relation}/{t}/a"), w2 = Word(syllables, $"{relation}/{t}/b");
                    string sep = spaces ? " " : "";
                    string text = t % 8 == 7
                        ? $"[Y]{sep}{w1}{sep}[X]{sep}{w2}."
                        : $"[X]{sep}{w1}{sep}{w2}{sep}[Y]{(t % 2 == 0 ? "." : $"{sep}{w2}.")}";
                    string split = t % 4 == 3 ? TemplateSplits.Heldout : TemplateSplits.Train;
                    list[t] = new TemplateRecord(relation, code, $"{relation}_{t + 1}", text, split);
                }
                _templates[(code, relation)] = list;
                all.AddRange(list);
            }
        Templates = all;
    }

    public IReadOnlyList<LanguageInfo> Languages { get; }

    public IReadOnlyList<string> Relations { get; }

    public IReadOnlyList<TemplateRecord> Templates { get; }

    public IReadOnlyList<TemplateRecord> TemplatesFor(string language, string relation) =>
        _templates.TryGetValue((language, relation), out var t) ? t : [];

    /// <summary>Endless facts: fact i belongs to relation i mod n and comes in every language, one after another.</summary>
    public IEnumerable<FactRecord> Facts()
    {
        for (long i = 0; ; i++)
        {
            string relation = Relations[(int)(i % Relations.Count)];
            string id = $"syn-{i}";
            foreach (var (code, spaces, syllables) in Scripts)
            {
                string subject = Name(syllables, spaces, $"{id}/s");
                string obj = Name(syllables, spaces, $"{id}/o");
                yield return new FactRecord(id, relation, code, subject, obj, []);
            }
        }
    }

    private string Name(string[] syllables, bool spaces, string key) =>
        StableHash.Seeded(_seed, key) % 3 == 0
            ? Word(syllables, key + "1") + (spaces ? " " : "") + Word(syllables, key + "2")
            : Word(syllables, key);

    private string Word(string[] syllables, string key)
    {
        ulong h = StableHash.Seeded(_seed, key);
        int n = 2 + (int)(h % 3);
        var sb = new StringBuilder(n * 3);
        for (int k = 0; k < n; k++)
        {
            h = h * 6364136223846793005UL + 1442695040888963407UL;
            sb.Append(syllables[(int)((h >> 33) % (ulong)syllables.Length)]);
        }
        // Capitalise Latin and Cyrillic words like names.
        if (char.IsLower(sb[0]))
            sb[0] = char.ToUpperInvariant(sb[0]);
        return sb.ToString();
    }
}
