using System.Reflection;

namespace KnPipeline.Stages.Options;

/// <summary>
/// One bindable property of an options class, as <see cref="OptionsSchema"/> sees it. <see cref="ValueType"/> is the
/// scalar type with any <c>Nullable&lt;T&gt;</c> removed (for lists: the item type).
/// </summary>
public sealed record OptionProperty(
    PropertyInfo Property, string Key, OptionValueKind Kind, Type ValueType, bool IsNullable)
{
    public object? GetValue(object owner) => Property.GetValue(owner);

    public void SetValue(object owner, object? value) => Property.SetValue(owner, value);
}
