using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Models;

/// <summary>
/// Module.to(dtype) replaces every registered parameter and buffer and disposes the old ones (what ModelLoader does
/// for bf16/fp16 loads): nothing in a family may keep using a tensor it cached before.
/// </summary>
[Collection("Torch")]
public class DtypeConversionTests
{
    [Fact]
    public void EveryFamilyRunsItsHeadAndAttributionAfterConversionToBFloat16()
    {
        foreach (var family in TinyModels.Families)
        {
            using var scope = NewDisposeScope();
            var model = TinyModels.Build(family, seed: 7);
            var inputs = ForwardInputs.FromRows([[5, 9, 13, 2, 7]], 0, CPU);
            Tensor want;
            using (no_grad())
                want = model.Logits(inputs).to_type(ScalarType.Float32);
            model.to(ScalarType.BFloat16);
            Assert.Equal(ScalarType.BFloat16, model.HeadWeight.dtype);
            Assert.True(model.HeadBias is null || model.HeadBias.dtype == ScalarType.BFloat16, family);
            Tensor got;
            using (no_grad())
                got = model.Logits(inputs).to_type(ScalarType.Float32);
            double err = (got - want).abs().max().item<float>(), scale = want.abs().max().item<float>();
            Assert.True(err < 0.05 * scale + 0.02, $"{family}: bf16 logits differ by {err:G3} (scale {scale:G3})");

            int p = model.IsCausal ? 4 : 2;
            var query = new AttributionQuery("q", [1, 5, 9, 13, 7], model.IsCausal ? null : new int[5], p, [p], [11]);
            using var ig = new IntegratedGradients(model, new AttributionOptions { Steps = 3 });
            var r = ig.Run([query])[0];
            Assert.False(r.NonFinite, family);
        }
    }
}
