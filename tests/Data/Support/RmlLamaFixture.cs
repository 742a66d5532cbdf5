namespace KnPipeline.Tests.Data.Support;

/// <summary>
/// A small clean benchmark in the RML-LAMA shape, with hand-countable expansions:
/// <list type="bullet">
/// <item>en (spaces): P19 × 3 templates (t3 is [Y]-first and heldout), P36 × 1 template;
/// facts: P19 f1–f3, P36 f4–f6 (f6's object is a zero-width space, which tokenizes to nothing).</item>
/// <item>ja (no spaces): P19 × 2 templates (the second is [Y]-first); facts P19 f1, f2 and P36 f4
/// (ja has no P36 template → no_templates).</item>
/// </list>
/// Expected: facts en 6, ja 2; queries causal en 9 (P19 3×2 + P36 3×1), ja 2; masked en 12, ja 4;
/// causal skips subject_after_object 3 (en) + 2 (ja); quarantine no_templates 1.
/// </summary>
public static class RmlLamaFixture
{
    public static TempBenchmark Create() => new TempBenchmark()
        .Write("languages.jsonl",
            """{"language": "en", "name": "English", "family": "Indo-European", "script": "Latin", "spaces": true}""",
            """{"language": "ja", "name": "Japanese", "family": "Japonic", "script": "Jpan", "spaces": false}""")
        .Write("relations.jsonl",
            """{"relation": "P19", "name": "place of birth"}""",
            """{"relation": "P36", "name": "capital"}""")
        .Write("templates/en.jsonl",
            """{"relation": "P19", "template_id": "P19_en_1", "text": "[X] was born in [Y] .", "split": "train"}""",
            """{"relation": "P19", "template_id": "P19_en_2", "text": "[X] is a native of [Y].", "split": "train"}""",
            """{"relation": "P19", "template_id": "P19_en_3", "text": "[Y] is the birthplace of [X] .", "split": "heldout"}""",
            """{"relation": "P36", "template_id": "P36_en_1", "text": "The capital of [X] is [Y] .", "split": "train"}""")
        .Write("templates/ja.jsonl",
            """{"relation": "P19", "template_id": "P19_ja_1", "text": "[X]は[Y]で生まれた。", "split": "train"}""",
            """{"relation": "P19", "template_id": "P19_ja_2", "text": "[Y]は[X]の出身地です。", "split": "heldout"}""")
        .Write("facts/en.jsonl",
            """{"fact_id": "f1", "relation": "P19", "subject": "Dante", "object": "Florence", "aliases": ["Firenze"]}""",
            """{"fact_id": "f2", "relation": "P19", "subject": "Kant", "object": "Königsberg"}""",
            """{"fact_id": "f3", "relation": "P19", "subject": "Bach", "object": "Eisenach", "aliases": []}""",
            """{"fact_id": "f4", "relation": "P36", "subject": "France", "object": "Paris"}""",
            """{"fact_id": "f5", "relation": "P36", "subject": "Japan", "object": "Tokyo"}""",
            """{"fact_id": "f6", "relation": "P36", "subject": "Atlantis", "object": "\u200B"}""")
        .Write("facts/ja.jsonl",
            """{"fact_id": "f1", "relation": "P19", "subject": "ダンテ", "object": "フィレンツェ"}""",
            """{"fact_id": "f2", "relation": "P19", "subject": "カント", "object": "ケーニヒスベルク"}""",
            """{"fact_id": "f4", "relation": "P36", "subject": "フランス", "object": "パリ"}""");
}
