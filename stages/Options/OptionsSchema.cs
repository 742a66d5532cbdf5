using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;

namespace KnPipeline.Stages.Options;

/// <summary>
/// Reflection over the options classes, shared by the YAML binder, the validator, the hasher and
/// <see cref="Clone{T}"/>. An options class is a sealed class with a parameterless constructor whose public
/// read-write properties are scalars (int, long, double, bool, string, enums, and their nullable forms), lists of
/// scalars, or nested options classes.
/// </summary>
public static class OptionsSchema
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyList<OptionProperty>> Cache = new();

    /// <summary>The bindable properties of <paramref name="type"/>, in declaration order.</summary>
    public static IReadOnlyList<OptionProperty> Properties(Type type) => Cache.GetOrAdd(type, Describe);

    /// <summary>The property whose YAML key is <paramref name="key"/>, or null.</summary>
    public static OptionProperty? Find(Type type, string key) =>
        Properties(type).FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.Ordinal));

    /// <summary>
    /// A deep copy: nested sections and lists are new objects, so editing the copy never touches the original.
    /// </summary>
    public static T Clone<T>(T options) where T : class => (T)CloneObject(options);

    /// <summary>Builds a list value assignable to <paramref name="property"/> from already converted items.</summary>
    public static object CreateList(OptionProperty property, IEnumerable<object?> items)
    {
        var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(property.ValueType))!;
        foreach (var item in items)
            list.Add(item);
        if (!property.Property.PropertyType.IsArray)
            return list;
        var array = Array.CreateInstance(property.ValueType, list.Count);
        list.CopyTo(array, 0);
        return array;
    }

    /// <summary>True for the scalar types options may use.</summary>
    public static bool IsScalarType(Type t) =>
        t == typeof(int) || t == typeof(long) || t == typeof(double) || t == typeof(bool) || t == typeof(string) ||
        t.IsEnum;

    private static object CloneObject(object source)
    {
        var copy = Activator.CreateInstance(source.GetType())!;
        foreach (var p in Properties(source.GetType()))
        {
            object? value = p.GetValue(source);
            p.SetValue(copy, value switch
            {
                null => null,
                _ when p.Kind == OptionValueKind.Section => CloneObject(value),
                IEnumerable items when p.Kind == OptionValueKind.List => CreateList(p, items.Cast<object?>()),
                _ => value,
            });
        }
        return copy;
    }

    private static IReadOnlyList<OptionProperty> Describe(Type type)
    {
        var result = new List<OptionProperty>();
        var nullability = new NullabilityInfoContext(); // not thread-safe, so one per call
        foreach (var pi in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            bool readWrite = pi.GetMethod != null && pi.SetMethod is { IsPublic: true };
            if (!readWrite || pi.GetIndexParameters().Length > 0)
                continue;
            Type t = pi.PropertyType;
            bool nullable = Nullable.GetUnderlyingType(t) != null ||
                            (!t.IsValueType && nullability.Create(pi).WriteState == NullabilityState.Nullable);
            Type bare = Nullable.GetUnderlyingType(t) ?? t;
            string key = OptionNames.Key(pi.Name);
            if (IsScalarType(bare))
                result.Add(new OptionProperty(pi, key, OptionValueKind.Scalar, bare, nullable));
            else if (ItemType(bare) is { } item && IsScalarType(item))
                result.Add(new OptionProperty(pi, key, OptionValueKind.List, item, nullable));
            else if (bare.IsClass && bare.GetConstructor(Type.EmptyTypes) != null)
                result.Add(new OptionProperty(pi, key, OptionValueKind.Section, bare, nullable));
            else
                throw new InvalidOperationException($"{type.Name}.{pi.Name}: type {t.Name} cannot be bound from YAML");
        }
        return result;
    }

    // List<T>, IReadOnlyList<T>, IList<T>, IEnumerable<T> and T[] all bind as YAML sequences; string does not.
    private static Type? ItemType(Type t)
    {
        if (t == typeof(string))
            return null;
        if (t.IsArray)
            return t.GetElementType();
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            return t.GetGenericArguments()[0];
        return t.GetInterfaces()
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            ?.GetGenericArguments()[0];
    }
}
