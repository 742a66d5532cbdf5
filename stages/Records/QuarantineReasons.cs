namespace KnPipeline.Stages.Records;

/// <summary>
/// The quarantine reason codes. Every stage uses these constants, so a reason means the same thing in every
/// run folder and in <c>pipeline data stats</c>.
/// </summary>
public static class QuarantineReasons
{
    /// <summary>A line is not valid JSON, or not a JSON object.</summary>
    public const string MalformedJson = "malformed_json";
    /// <summary>A required field is absent or null.</summary>
    public const string MissingField = "missing_field";
    /// <summary>A field has the wrong JSON type (e.g. a number where a string belongs).</summary>
    public const string BadFieldType = "bad_field_type";
    /// <summary>A template has no <c>[X]</c>.</summary>
    public const string TemplateMissingX = "template_missing_x";
    /// <summary>A template has no <c>[Y]</c>.</summary>
    public const string TemplateMissingY = "template_missing_y";
    /// <summary>A template has <c>[X]</c> or <c>[Y]</c> more than once.</summary>
    public const string TemplateRepeatedSlot = "template_repeated_slot";
    /// <summary>The same template text twice for one relation and language.</summary>
    public const string DuplicateTemplate = "duplicate_template";
    /// <summary>The same template_id twice in one language.</summary>
    public const string DuplicateTemplateId = "duplicate_template_id";
    /// <summary>
    /// A template's split other than <c>train</c> or <c>heldout</c>, or a fact's other than <c>train</c> or
    /// <c>heldout-language</c>.
    /// </summary>
    public const string BadSplit = "bad_split";
    /// <summary>An empty (or whitespace-only) subject.</summary>
    public const string EmptySubject = "empty_subject";
    /// <summary>An empty (or whitespace-only) object.</summary>
    public const string EmptyObject = "empty_object";
    /// <summary>The same fact_id twice in one language.</summary>
    public const string DuplicateFactId = "duplicate_fact_id";
    /// <summary>A language the benchmark does not declare (or a folder that is not a language code).</summary>
    public const string UnknownLanguage = "unknown_language";
    /// <summary>A relation the benchmark does not declare.</summary>
    public const string UnknownRelation = "unknown_relation";
    /// <summary>A fact whose relation has no valid template in its language.</summary>
    public const string NoTemplates = "no_templates";
    /// <summary>A declaration line (language, relation) that is unusable.</summary>
    public const string BadDeclaration = "bad_declaration";
    /// <summary>The object encodes to zero tokens with this model's tokenizer.</summary>
    public const string ObjectTokenizesToNothing = "object_tokenizes_to_nothing";
    /// <summary>The encoded MLM input does not hold exactly k mask tokens.</summary>
    public const string MaskCountMismatch = "mask_count_mismatch";
}
