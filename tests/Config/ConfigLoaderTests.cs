using KnPipeline.Config;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Options;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Config;

public class ConfigLoaderTests
{
    private static string RepoConfigPath => Path.Combine(SharedData.RepoRoot, "pipeline.yaml");

    [Fact]
    public void ShippedPipelineYamlValidatesAndEqualsTheCSharpDefaults()
    {
        var fromFile = ConfigLoader.Load(RepoConfigPath);
        var embedded = ConfigLoader.LoadDefault();
        string defaults = ConfigHasher.ToCanonicalJson(new PipelineConfig());
        Assert.Equal(defaults, ConfigHasher.ToCanonicalJson(fromFile));
        Assert.Equal(defaults, ConfigHasher.ToCanonicalJson(embedded));
        Assert.Equal(File.ReadAllText(RepoConfigPath), ConfigLoader.ReadEmbeddedText());
    }

    [Fact]
    public void ShippedPipelineYamlSpellsOutEveryKeyOfEverySection()
    {
        string[] lines = File.ReadAllLines(RepoConfigPath);
        foreach (var section in OptionsSchema.Properties(typeof(PipelineConfig)))
        {
            int start = Array.FindIndex(lines, l => l.StartsWith($"{section.Key}:", StringComparison.Ordinal));
            Assert.True(start >= 0, $"section {section.Key} missing");
            var body = lines.Skip(start + 1).TakeWhile(l => l.StartsWith(' ') || l.Length == 0).ToList();
            foreach (var key in OptionsSchema.Properties(section.ValueType))
                Assert.Contains(body, l => l.StartsWith($"  {key.Key}: ", StringComparison.Ordinal) && l.Contains('#'));
        }
    }

    [Fact]
    public void YamlKeysAreTheDocumentedSnakeCaseNames()
    {
        string Keys(Type t) => string.Join(",", OptionsSchema.Properties(t).Select(p => p.Key));
        Assert.Equal("run,data,model,embedded_model,attribution,localization,consistency,synapses,editing,pipeline," +
            "logging",
            Keys(typeof(PipelineConfig)));
        Assert.Equal("id,runs_dir,seed,device,dtype,threads,chunk_facts,progress_interval_s", Keys(typeof(RunOptions)));
        Assert.Equal("source,format,languages,relations,facts_per_relation,split", Keys(typeof(DataOptions)));
        Assert.Equal("layers,d_model,heads,ffn,max_epochs,batch_size,learning_rate,weight_decay,warmup_fraction," +
                     "filler_fraction,object_weight,target_accuracy,prompt_noise,prompt_drop,bos,alignment,code_switch_rate," +
                     "seed," +
                     "cache_dir,masked_twin",
            Keys(typeof(EmbeddedModelOptions)));
        Assert.Equal("steps,rule,tolerance,max_steps,objective,methods,target,layers,algorithm,top_k,keep_full," +
                     "localize,kn_threshold," +
                     "batch_rows,batch_tokens,cpu_workers", Keys(typeof(AttributionOptions)));
        Assert.Equal("queue_capacity,tokenize_parallelism,row_group_rows", Keys(typeof(PipelineOptions)));
        Assert.Equal("enabled,refined_share,min_queries,tau,query_lambda,language_lambda,fact_specific_ratio," +
                     "relation_top_k,lolo,bootstrap_resamples", Keys(typeof(LocalizationOptions)));
        Assert.Equal("enabled,queries,tau,otsu_bins,kl_vs_ql,mapping", Keys(typeof(ConsistencyOptions)));
        Assert.Equal("enabled,top_k,alphas,rows,renormalize", Keys(typeof(SynapseOptions)));
        Assert.Equal("gauss-legendre", OptionNames.Of(IntegrationRule.GaussLegendre));
        Assert.Equal("rml-lama", OptionNames.Of(BenchmarkFormat.RmlLama));
        Assert.Equal("heng840", OptionNames.Of(BenchmarkFormat.Heng840));
        Assert.Equal("dataset-mean", OptionNames.Of(AttributionMethod.DatasetMean));
    }

    [Fact]
    public void EmptyFileAndCommentOnlyFileAreTheDefaults()
    {
        string defaults = ConfigHasher.Hash(new PipelineConfig());
        Assert.Equal(defaults, ConfigHasher.Hash(ConfigLoader.Parse("", "empty.yaml")));
        Assert.Equal(defaults, ConfigHasher.Hash(ConfigLoader.Parse("# nothing\n\nrun:\n  # seed: 1\n", "c.yaml")));
    }

    [Fact]
    public void GivenKeysBindAndAbsentKeysKeepTheirDefaults()
    {
        var c = ConfigLoader.Parse("""
            run:
              id: exp-1
              device: cuda:1
              dtype: bfloat16
            data:
              languages: [en, pt-BR, zho]
              relations:
                - P19
                - P36
            embedded_model:
              learning_rate: 1e-3
              masked_twin: true
            attribution:
              rule: Gauss-Legendre
              target: all-tokens
              layers: [0, 3]
              kn_threshold: 0.25
            """, "t.yaml");
        Assert.Equal("exp-1", c.Run.Id);
        Assert.Equal("cuda:1", c.Run.Device);
        Assert.Equal(TensorDtype.Bfloat16, c.Run.Dtype);
        Assert.Equal(1234, c.Run.Seed);
        Assert.Equal(["en", "pt-BR", "zho"], c.Data.Languages);
        Assert.Equal(["P19", "P36"], c.Data.Relations);
        Assert.Equal(0.001, c.EmbeddedModel.LearningRate);
        Assert.True(c.EmbeddedModel.MaskedTwin);
        Assert.Equal(128, c.EmbeddedModel.DModel);
        Assert.Equal(IntegrationRule.GaussLegendre, c.Attribution.Rule);
        Assert.Equal(AttributionTarget.AllTokens, c.Attribution.Target);
        Assert.Equal([0, 3], c.Attribution.Layers);
        Assert.Equal(0.25, c.Attribution.KnThreshold);
        Assert.Equal(20, c.Attribution.Steps);
    }

    [Fact]
    public void EveryErrorInAFileIsReportedOnItsOwnLineInFileOrder()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            attribution:
              steps: 0
              rule: middle
              stepz: 3
            data:
              languages: en
            embedded_model:
              d_model: 130
            """, "many.yaml"));
        Assert.Equal(
        [
            "many.yaml:2:10: attribution.steps: must be between 1 and 1000; got 0",
            "many.yaml:3:9: attribution.rule: must be one of left, right, trapezoid, gauss-legendre, adaptive; " +
            "got 'middle'",
            "many.yaml:4:3: attribution.stepz: unknown key (did you mean 'attribution.steps'?)",
            "many.yaml:6:14: data.languages: expected a list like [en], got 'en'",
            "many.yaml:8:12: embedded_model.d_model: must be divisible by embedded_model.heads (4); got 130",
        ], e.Errors.Select(x => x.ToString()));
        Assert.Equal(string.Join(Environment.NewLine, e.Errors), e.Message);
    }

    [Fact]
    public void KeyInTheWrongSectionSuggestsTheRightOne()
    {
        var e = Assert.Throws<ConfigException>(() =>
            ConfigLoader.Parse("attribution:\n  device: cpu\nsteps: 3\n", "w.yaml"));
        Assert.Equal("w.yaml:2:3: attribution.device: unknown key (did you mean 'run.device'?)",
            e.Errors[0].ToString());
        Assert.Equal("w.yaml:3:1: steps: unknown key (did you mean 'attribution.steps'?)", e.Errors[1].ToString());
    }

    [Fact]
    public void MethodsDefaultToDaiAndAmigAndTheRetiredBaselineKeyNamesItsReplacement()
    {
        Assert.Equal([AttributionMethod.Dai, AttributionMethod.Amig], new PipelineConfig().Attribution.Methods);
        Assert.Equal([AttributionMethod.DatasetMean, AttributionMethod.Dai],
            ConfigLoader.Parse("attribution:\n  methods: [dataset-mean, dai]\n", "m.yaml").Attribution.Methods);

        // The old key is refused, in a file as in an override, with the list that computes the same attributions.
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("attribution:\n  baseline: zero\n", "b.yaml"));
        Assert.Equal("b.yaml:2:3: attribution.baseline: was replaced by attribution.methods, a list of methods " +
                     "computed in one run; write 'methods: [dai]' for the same attributions", e.Errors.Single().ToString());
        e = Assert.Throws<ConfigException>(() =>
            ConfigLoader.Parse("", "d.yaml", ["attribution.baseline=dataset-mean"]));
        Assert.Contains("attribution.baseline: was replaced by attribution.methods", e.Errors.Single().ToString());
        Assert.EndsWith("write 'methods: [dataset-mean]' for the same attributions", e.Errors.Single().Message);
        e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("attribution:\n  baseline: middle\n", "b.yaml"));
        Assert.EndsWith("write e.g. 'methods: [dai]' (the zero baseline), [amig] or [dataset-mean]",
            e.Errors.Single().Message);

        e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(
            "attribution:\n  methods: [dai, amig, dai]\n", "m.yaml"));
        Assert.Equal("m.yaml:2:24: attribution.methods[2]: method 'dai' is listed twice", e.Errors.Single().ToString());
        e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("attribution:\n  methods: []\n", "m.yaml"));
        Assert.Equal("m.yaml:2:12: attribution.methods: must list at least one method (dai, amig, dataset-mean)",
            e.Errors.Single().ToString());
        e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("attribution:\n  methods: [dai, sig]\n", "m.yaml"));
        Assert.Equal("m.yaml:2:18: attribution.methods[1]: must be one of dai, amig, dataset-mean; got 'sig'",
            e.Errors.Single().ToString());
    }

    [Fact]
    public void CrossFieldRulesNameTheKeyAndTheRule()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(
            "attribution:\n  rule: trapezoid\n  steps: 1\n  layers: [1, 1]\ndata:\n  format: pararel\n", "x.yaml"));
        Assert.Contains(e.Errors, x =>
            x.ToString() == "x.yaml:3:10: attribution.steps: must be at least 2 with rule trapezoid; got 1");
        Assert.Contains(e.Errors, x => x.ToString() == "x.yaml:4:15: attribution.layers[1]: layer 1 is listed twice");
        Assert.Contains(e.Errors, x =>
            x.Key == "data.format" && x.Line == 6 && x.Message.Contains("embedded benchmark is rml-lama"));
    }

    [Fact]
    public void NullIsAllowedOnlyWhereTheOptionIsNullable()
    {
        Assert.Null(ConfigLoader.Parse("run:\n  id: ~\n", "n.yaml").Run.Id);
        Assert.Equal(6, ConfigLoader.Parse("embedded_model:\n", "n.yaml").EmbeddedModel.Layers);
        var e = Assert.Throws<ConfigException>(() =>
            ConfigLoader.Parse("run:\n  seed: null\n  runs_dir: ''\n", "n.yaml"));
        Assert.Equal("n.yaml:2:9: run.seed: must not be null (leave the key out to keep the default)",
            e.Errors[0].ToString());
        Assert.Equal("n.yaml:3:13: run.runs_dir: must not be empty", e.Errors[1].ToString());
    }

    [Fact]
    public void ScalarWhereASectionOrListIsExpectedAndViceVersaAreErrors()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(
            "logging: verbose\nattribution:\n  steps: [1, 2]\n  top_k:\n    value: 3\n  layers: {a: 1}\n", "s.yaml"));
        Assert.Equal(
        [
            "s.yaml:1:10: logging: expected a section of 'key: value' lines, got 'verbose'",
            "s.yaml:3:10: attribution.steps: expected a single value, got a list",
            "s.yaml:5:5: attribution.top_k: expected a single value, got a mapping",
            "s.yaml:6:11: attribution.layers: expected a list, got a mapping",
        ], e.Errors.Select(x => x.ToString()));
    }

    [Fact]
    public void TwoDocumentsInOneFileAreRejected()
    {
        var e = Assert.Throws<ConfigException>(() =>
            ConfigLoader.Parse("run:\n  seed: 1\n---\nrun:\n  seed: 2\n", "d.yaml"));
        Assert.StartsWith("d.yaml:3:1: a config file holds one YAML document", Assert.Single(e.Errors).ToString());
    }

    [Fact]
    public void MissingFileAndFolderAreOneClearLine()
    {
        string missing = Path.Combine(Path.GetTempPath(), "kn-no-such-dir", "p.yaml");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(missing));
        Assert.Equal($"config file not found: {missing}", e.Message);
        e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Path.GetTempPath()));
        Assert.StartsWith("config path is a folder, not a file: ", e.Message);
    }
}
