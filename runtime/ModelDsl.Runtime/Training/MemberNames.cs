using System.Text;

namespace ModelDsl.Training;

/// <summary>
/// The state-dict prefix of a declared member, by the generator's rule (<c>Planning/Naming.SnakeCase</c>):
/// <c>TokenEmbedding</c> -> <c>token_embedding</c>, <c>LMHead</c> -> <c>lm_head</c>. A lower-case dotted path such as
/// <c>encoder.layers.0</c> is returned unchanged.
/// </summary>
internal static class MemberNames
{
    /// <summary>The PyTorch-style module name of <paramref name="name"/>.</summary>
    public static string StateDictPrefix(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool previousLower = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                bool acronymEnd = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if ((previousLower || acronymEnd) && builder.Length > 0 && builder[builder.Length - 1] != '_')
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
