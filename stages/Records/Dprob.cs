namespace KnPipeline.Stages.Records;

/// <summary>
/// Δprob, the one definition every <c>*_dprob*</c> figure uses (docs/architecture.md, Interventions): the relative
/// change (p_after − p_before) / p_before of one evaluated query, averaged over queries by the caller — the measure
/// Dai et al. report. Records keep p_before and p_after and derive it here, so no table can drift from the others.
/// </summary>
public static class Dprob
{
    public static double Of(double before, double after) => (after - before) / before;
}
