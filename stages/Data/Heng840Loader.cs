using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Data;

/// <summary>
/// heng840/Dataset, the multilingual ParaRel over mLAMA (en, fr, fi, hu, ja, ko). Its pre-filled sentences
/// (Aligned_my_MLAMA) drop the object slot and are broken for SOV languages, so the queries are rebuilt here from
/// <c>my_mlama/&lt;pair&gt;/&lt;lang&gt;/final_template_aligned.jsonl</c> (<c>{"relation", "pattern"}</c>) and the
/// facts in <c>my_mlama/&lt;pair&gt;/&lt;lang&gt;/P*.jsonl</c> (<c>{"sub_label", "obj_label", "uuid", ...}</c>).
/// As in the published aligned set, only <b>parallel</b> facts are kept: those whose uuid is in every language
/// folder present. The others are counted as skipped (<c>not_parallel</c>), not quarantined: they are not bad.
/// fact_id = uuid; template_id = <c>{relation}_{n}</c>, n counting that relation's lines; split train.
/// </summary>
public sealed class Heng840Loader : IBenchmarkLoader
{
    public const string NotParallel = "not_parallel";
    private const string TemplatesFile = "final_template_aligned.jsonl";

    public string Format => "heng840";

    public bool Matches(string directory) => LanguageFolders(directory).Count > 0;

    public BenchmarkSource Open(string directory, IQuarantine quarantine)
    {
        var folders = LanguageFolders(directory);
        if (folders.Count == 0)
            throw new BenchmarkLayoutException(
                $"{directory} is not a heng840 folder: expected my_mlama/<pair>/<lang>/{TemplatesFile}");
        var duplicate = folders.GroupBy(f => f.Language).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null)
            throw new BenchmarkLayoutException(
                $"language '{duplicate.Key}' appears in several pair folders: {string.Join(", ", duplicate.Select(f => f.Path))}");
        return new BenchmarkSource(Format, directory, LoaderFiles.LanguagesFromFolders(folders.Select(f => f.Language)),
            null, ReadTemplates(directory, folders, quarantine),
            (q, skipped) => ReadFacts(directory, folders, q, skipped), quarantine);
    }

    /// <summary>(language, folder) for each my_mlama/&lt;pair&gt;/&lt;lang&gt; that holds the aligned templates.</summary>
    private static List<(string Language, string Path)> LanguageFolders(string dir)
    {
        string mlama = Directory.Exists(Path.Combine(dir, "my_mlama")) ? Path.Combine(dir, "my_mlama") : dir;
        var found = new List<(string, string)>();
        foreach (string pair in LoaderFiles.Subfolders(mlama))
            foreach (string language in LoaderFiles.Subfolders(Path.Combine(mlama, pair)))
            {
                string path = Path.Combine(mlama, pair, language);
                if (File.Exists(Path.Combine(path, TemplatesFile)))
                    found.Add((language, path));
            }
        return found.OrderBy(f => f.Item1, StringComparer.Ordinal).ToList();
    }

    private static IEnumerable<RawTemplate> ReadTemplates(string root, List<(string Language, string Path)> folders,
        IQuarantine quarantine) =>
        folders.SelectMany(f =>
            LoaderFiles.CombinedTemplates(root, f.Language, Path.Combine(f.Path, TemplatesFile), "pattern", quarantine));

    private static IEnumerable<RawFact> ReadFacts(string root, List<(string Language, string Path)> folders,
        IQuarantine quarantine, ReasonCounter skipped)
    {
        // Pass 1: which uuids are in every language. Hashes, not strings, keep this to ~30 bytes a fact.
        // Damaged lines are reported in pass 2 only, so each is quarantined once.
        HashSet<ulong>? parallel = null;
        foreach (var (language, folder) in folders)
        {
            var ids = new HashSet<ulong>();
            foreach (var (relation, path) in LoaderFiles.Files(folder, "P*.jsonl"))
                foreach (var fact in Facts(root, relation, language, path, NullQuarantine.Instance))
                    ids.Add(StableHash.Fnv1a64(fact.FactId));
            if (parallel == null)
                parallel = ids;
            else
                parallel.IntersectWith(ids);
        }
        parallel ??= [];
        foreach (var (relation, language, path) in LoaderFiles.RelationMajor(folders, "P*.jsonl"))
            foreach (var fact in Facts(root, relation, language, path, quarantine))
            {
                if (parallel.Contains(StableHash.Fnv1a64(fact.FactId)))
                    yield return fact;
                else
                    skipped.Add(NotParallel);
            }
    }

    private static IEnumerable<RawFact> Facts(string root, string relation, string language, string path,
        IQuarantine quarantine)
    {
        string source = LoaderFiles.Relative(root, path);
        foreach (var line in JsonLines.Read(path, source, quarantine))
            if (line.TryString("uuid", "", out string id) && line.TryString("sub_label", id, out string subject) &&
                line.TryString("obj_label", id, out string obj))
                yield return new RawFact(id, relation, language, subject, obj, [], source, line.Line);
    }
}
