using Xunit;

namespace KnPipeline.Tests.Support;

/// <summary>Tests that touch libtorch's global state (threads, default dtype, seeds) run one at a time.</summary>
[CollectionDefinition("Torch", DisableParallelization = true)]
public sealed class TorchCollection;
