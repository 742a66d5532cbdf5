namespace KnPipeline.Stages.Records;

/// <summary>
/// One edit (docs/architecture.md, Editing; DESIGN §2): a selection of one method's KNs for one edited query (or its
/// matched random control, <see cref="Control"/>), edited by <see cref="Op"/> and scored before and after. Weight edits
/// (erase, update) fill the success metrics and the perplexities; activation edits (suppress, enhance) fill
/// <see cref="PBefore"/>/<see cref="PAfter"/>, Δprob and Δlog-odds of the edited query's gold first token. What does
/// not apply, or had no query correct before the edit to count, is NaN. The fact's CS₂ and static class ride along
/// so the reduce phase can apply Otsu classes; <see cref="Phase"/> says whether the fact is in the dev split (tuning)
/// or the evaluation split.
/// </summary>
public sealed record EditRecord(
    string QueryId,
    string FactId,
    string Relation,
    string Language,
    string TemplateId,
    string Phase,
    string Method,
    string Op,
    string Selection,
    bool Control,
    string ClassStatic,
    double Cs2,
    long Seed,
    int[] Layer,
    int[] Unit,
    double Lambda1,
    double Lambda2,
    double Beta1,
    double Beta2,
    string CasScore,
    double Threshold,
    int TopK,
    int NewObjectToken,
    double Reliability,
    double GeneralizationTrain,
    double GeneralizationHeldout,
    double GeneralizationLanguages,
    double Generalization,
    double Locality,
    double PplBefore,
    double PplAfter,
    double PBefore,
    double PAfter,
    double Dlogodds,
    bool Restored) : IQueryKeyed
{
    /// <summary>Version of this record's Parquet schema.</summary>
    public const string SchemaVersion = "edit/1";

    /// <summary>Neurons in the selection: the length of <see cref="Layer"/>, unless set (the reduce phase drops the
    /// neuron lists it does not need, keeping their count).</summary>
    public int SetSize
    {
        get => _setSize ?? Layer.Length;
        init => _setSize = value;
    }

    private readonly int? _setSize;

    /// <summary>This record without its neuron lists (the set size kept): what statistics over many edits hold.
    /// </summary>
    public EditRecord WithoutNeurons() => this with { SetSize = SetSize, Layer = [], Unit = [] };

    /// <summary>EasyEdit's Avg of this edit: NaN when any of its three parts is.</summary>
    public double Avg => (Reliability + Generalization + Locality) / 3;

    /// <summary>The relative change (p_after − p_before) / p_before, every <c>*_dprob*</c> figure's unit.</summary>
    public double Dprob => Records.Dprob.Of(PBefore, PAfter);

    public double Dppl => PplAfter - PplBefore;

    /// <summary>The update's new object (its canonical name), empty for every other op.</summary>
    public string NewObject { get; init; } = "";

    /// <summary>Mean Δprob and Δlog-odds of the gold first token over each group of the edit's probe (the other
    /// training rephrasings, the held-out ones, the other languages, the unrelated facts): NaN for an empty
    /// group.</summary>
    public GroupDeltas Groups { get; init; } = GroupDeltas.None;
}

/// <summary>Mean Δprob and Δlog-odds per probe group of one edit.</summary>
public sealed record GroupDeltas(double DprobTrain, double DprobHeldout, double DprobLanguages,
    double DprobUnrelated, double DlogoddsTrain, double DlogoddsHeldout, double DlogoddsLanguages,
    double DlogoddsUnrelated)
{
    public static readonly GroupDeltas None = new(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN,
        double.NaN, double.NaN, double.NaN);
}

/// <summary>Parquet schema of <see cref="EditRecord"/>.</summary>
public static class EditRecordSchema
{
    private static readonly EditRecord Empty = new("", "", "", "", "", "", "", "", "", false, "", 0, 0, [], [], 0, 0,
        0, 0, "", 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false);

    public static readonly RecordSchema<EditRecord> Instance = RecordSchema.For(EditRecord.SchemaVersion, Empty)
        .QueryKey((r, k) => r with
        {
            QueryId = k.QueryId, FactId = k.FactId, Relation = k.Relation, Language = k.Language,
            TemplateId = k.TemplateId,
        })
        .String("phase", r => r.Phase, (r, v) => r with { Phase = v })
        .String("method", r => r.Method, (r, v) => r with { Method = v })
        .String("op", r => r.Op, (r, v) => r with { Op = v })
        .String("selection", r => r.Selection, (r, v) => r with { Selection = v })
        .Value("control", r => r.Control, (r, v) => r with { Control = v })
        .String("class_static", r => r.ClassStatic, (r, v) => r with { ClassStatic = v })
        .Value("cs2", r => r.Cs2, (r, v) => r with { Cs2 = v })
        .Value("seed", r => r.Seed, (r, v) => r with { Seed = v })
        .Value("set_size", r => r.SetSize, (r, v) => r)
        .List("layer", r => r.Layer, (r, v) => r with { Layer = v })
        .List("unit", r => r.Unit, (r, v) => r with { Unit = v })
        .Value("lambda1", r => r.Lambda1, (r, v) => r with { Lambda1 = v })
        .Value("lambda2", r => r.Lambda2, (r, v) => r with { Lambda2 = v })
        .Value("beta1", r => r.Beta1, (r, v) => r with { Beta1 = v })
        .Value("beta2", r => r.Beta2, (r, v) => r with { Beta2 = v })
        .String("cas_score", r => r.CasScore, (r, v) => r with { CasScore = v })
        .Value("threshold", r => r.Threshold, (r, v) => r with { Threshold = v })
        .Value("top_k", r => r.TopK, (r, v) => r with { TopK = v })
        .Value("new_object_token", r => r.NewObjectToken, (r, v) => r with { NewObjectToken = v })
        .Value("reliability", r => r.Reliability, (r, v) => r with { Reliability = v })
        .Value("generalization_train", r => r.GeneralizationTrain, (r, v) => r with { GeneralizationTrain = v })
        .Value("generalization_heldout", r => r.GeneralizationHeldout,
            (r, v) => r with { GeneralizationHeldout = v })
        .Value("generalization_languages", r => r.GeneralizationLanguages,
            (r, v) => r with { GeneralizationLanguages = v })
        .Value("generalization", r => r.Generalization, (r, v) => r with { Generalization = v })
        .Value("locality", r => r.Locality, (r, v) => r with { Locality = v })
        .Value("avg", r => r.Avg, (r, v) => r)
        .Value("ppl_before", r => r.PplBefore, (r, v) => r with { PplBefore = v })
        .Value("ppl_after", r => r.PplAfter, (r, v) => r with { PplAfter = v })
        .Value("p_before", r => r.PBefore, (r, v) => r with { PBefore = v })
        .Value("p_after", r => r.PAfter, (r, v) => r with { PAfter = v })
        .Value("dprob", r => r.Dprob, (r, v) => r)
        .Value("dlogodds", r => r.Dlogodds, (r, v) => r with { Dlogodds = v })
        .Value("restored", r => r.Restored, (r, v) => r with { Restored = v })
        .String("new_object", r => r.NewObject, (r, v) => r with { NewObject = v })
        .Value("dprob_train", r => r.Groups.DprobTrain, (r, v) => r with { Groups = r.Groups with { DprobTrain = v } })
        .Value("dprob_heldout", r => r.Groups.DprobHeldout,
            (r, v) => r with { Groups = r.Groups with { DprobHeldout = v } })
        .Value("dprob_languages", r => r.Groups.DprobLanguages,
            (r, v) => r with { Groups = r.Groups with { DprobLanguages = v } })
        .Value("dprob_unrelated", r => r.Groups.DprobUnrelated,
            (r, v) => r with { Groups = r.Groups with { DprobUnrelated = v } })
        .Value("dlogodds_train", r => r.Groups.DlogoddsTrain,
            (r, v) => r with { Groups = r.Groups with { DlogoddsTrain = v } })
        .Value("dlogodds_heldout", r => r.Groups.DlogoddsHeldout,
            (r, v) => r with { Groups = r.Groups with { DlogoddsHeldout = v } })
        .Value("dlogodds_languages", r => r.Groups.DlogoddsLanguages,
            (r, v) => r with { Groups = r.Groups with { DlogoddsLanguages = v } })
        .Value("dlogodds_unrelated", r => r.Groups.DlogoddsUnrelated,
            (r, v) => r with { Groups = r.Groups with { DlogoddsUnrelated = v } })
        .Build();
}
