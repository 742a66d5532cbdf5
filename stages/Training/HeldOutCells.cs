namespace KnPipeline.Stages.Training;

/// <summary>
/// The language-held-out cells of a benchmark, and the test of whether a line of training text states one. Issue #13's
/// rule: a line states the cell (fact f, language B) when it contains B's name of f's subject together with B's name
/// of f's object (as substrings: "Mexico City" contains "Mexico"), or when it is one of B's templates filled with f
/// (<see cref="StatedByTemplate"/>). The names still appear on their own (alignment text, other facts), so whether the
/// model can answer the cell is a measurement of transfer across languages, not of memory.
/// </summary>
public sealed class HeldOutCells
{
    /// <summary>One held-out cell: the fact, the language, and that language's names.</summary>
    public sealed record Cell(string FactId, string Language, string Subject, string Object);

    private readonly HashSet<(string FactId, string Language)> _cells;

    // Subject name → the objects it must not meet. Checking the few hundred distinct subject names first keeps a
    // full corpus check (about 30,000 lines) well under a second.
    private readonly (string Subject, Cell[] Cells)[] _bySubject;

    public HeldOutCells(EmbeddedBenchmark benchmark)
    {
        Cells = benchmark.Languages
            .SelectMany(l => benchmark.Facts[l.Code].Where(f => f.HeldoutLanguage)
                .Select(f => new Cell(f.FactId, l.Code, f.Subject, f.Object)))
            .ToList();
        _cells = Cells.Select(c => (c.FactId, c.Language)).ToHashSet();
        _bySubject = Cells.GroupBy(c => c.Subject, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.ToArray())).ToArray();
    }

    public IReadOnlyList<Cell> Cells { get; }

    public bool IsHeldOut(string factId, string language) => _cells.Contains((factId, language));

    /// <summary>The first held-out cell whose subject and object names both occur in <paramref name="text"/>, or
    /// null.</summary>
    public Cell? StatedIn(string text)
    {
        foreach (var (subject, cells) in _bySubject)
            if (text.Contains(subject, StringComparison.Ordinal))
                foreach (var c in cells)
                    if (text.Contains(c.Object, StringComparison.Ordinal))
                        return c;
        return null;
    }

    /// <summary>
    /// True when a line made from fact <paramref name="factId"/>'s template in <paramref name="templateLanguage"/>
    /// states a held-out cell by its template: that language's wording of the fact, whatever language its names are
    /// in. (A template filled with another fact that shares f's object states that other fact, not f.)
    /// </summary>
    public bool StatedByTemplate(string factId, string templateLanguage) => IsHeldOut(factId, templateLanguage);
}
