using System;
using ModelDsl.Data;

namespace ModelDsl.Examples.Vision;

/// <summary>The shape classes the example draws.</summary>
public enum ShapeKind
{
    /// <summary>A disc, or a ring when stroked.</summary>
    Circle,

    /// <summary>A square, rotated.</summary>
    Square,

    /// <summary>An equilateral triangle, rotated.</summary>
    Triangle,

    /// <summary>A plus sign with equal arms, rotated (a cross at 45 degrees).</summary>
    Cross,
}

/// <summary>One drawn image: 32x32 pixels in [0, 1] (row by row) and its class.</summary>
/// <param name="Pixels">The 1,024 intensities.</param>
/// <param name="Kind">The shape drawn.</param>
public sealed record ShapeImage(float[] Pixels, ShapeKind Kind);

/// <summary>
/// Draws 32x32 one-channel images of <see cref="ShapeKind"/> procedurally, deterministically from a seed: each shape at a random
/// position and size (fully inside the image), rotated by a random angle, filled or stroked (a stroke 1.5-2.5 pixels wide; the
/// cross's arms thin), at a random intensity 0.6-1, antialiased by 4x4 supersampling, then Gaussian pixel noise (standard
/// deviation 0.08) clamped to [0, 1]. The classes take turns (image i is class i mod 4), so every set is balanced.
/// </summary>
public static class Shapes
{
    /// <summary>Image side, classes, the fixed training and test set sizes and their seeds.</summary>
    public const int Side = 32, Classes = 4, TrainCount = 3000, TestCount = 600, TrainSeed = 20, TestSeed = 21;

    /// <summary>Smallest and largest extent (the circumradius of the shape's frame), in pixels.</summary>
    public const float MinExtent = 6f, MaxExtent = 12f;

    /// <summary>Standard deviation of the Gaussian pixel noise.</summary>
    public const float Noise = 0.08f;

    private const int Supersampling = 4;

    /// <summary>The fixed training set (3,000 images, seed 20) and test set (600 images, seed 21).</summary>
    public static (ShapeImage[] Train, ShapeImage[] Test) Sets() => (Generate(TrainCount, TrainSeed), Generate(TestCount, TestSeed));

    /// <summary><paramref name="count"/> images drawn from <paramref name="seed"/>; image i is class i mod 4.</summary>
    public static ShapeImage[] Generate(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var images = new ShapeImage[count];
        for (int i = 0; i < count; i++)
        {
            var kind = (ShapeKind)(i % Classes);
            images[i] = new ShapeImage(Draw(kind, random), kind);
        }

        return images;
    }

    /// <summary>Draws one <paramref name="kind"/> with its position, size, angle, style, intensity and noise from <paramref name="random"/>.</summary>
    public static float[] Draw(ShapeKind kind, Random random)
    {
        float extent = MinExtent + ((MaxExtent - MinExtent) * random.NextSingle());
        float centerX = extent + ((Side - (2 * extent)) * random.NextSingle());
        float centerY = extent + ((Side - (2 * extent)) * random.NextSingle());
        float angle = 2 * MathF.PI * random.NextSingle();
        bool filled = random.Next(2) == 0;
        float stroke = 1.5f + random.NextSingle();
        float intensity = 0.6f + (0.4f * random.NextSingle());
        float[] pixels = Render(kind, centerX, centerY, extent, angle, filled ? 0f : stroke, intensity);
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = Math.Clamp(pixels[i] + (Noise * Gaussian(random)), 0f, 1f);
        }

        return pixels;
    }

    /// <summary>
    /// The noiseless image: <paramref name="kind"/> centred at (<paramref name="centerX"/>, <paramref name="centerY"/>) (pixel
    /// (c, r) covers x in [c, c + 1), y in [r, r + 1)), its frame's circumradius <paramref name="extent"/>, rotated by
    /// <paramref name="angle"/> radians, filled (<paramref name="stroke"/> 0) or stroked that wide, each pixel the covered
    /// fraction times <paramref name="intensity"/>.
    /// </summary>
    public static float[] Render(ShapeKind kind, float centerX, float centerY, float extent, float angle, float stroke, float intensity)
    {
        var pixels = new float[Side * Side];
        float cos = MathF.Cos(angle), sin = MathF.Sin(angle);
        const float Step = 1f / Supersampling;
        for (int row = 0; row < Side; row++)
        {
            for (int column = 0; column < Side; column++)
            {
                int covered = 0;
                for (int sy = 0; sy < Supersampling; sy++)
                {
                    for (int sx = 0; sx < Supersampling; sx++)
                    {
                        float x = column + ((sx + 0.5f) * Step) - centerX, y = row + ((sy + 0.5f) * Step) - centerY;
                        float u = (cos * x) + (sin * y), v = (cos * y) - (sin * x);
                        covered += Inside(kind, u, v, extent, stroke) ? 1 : 0;
                    }
                }

                pixels[(row * Side) + column] = intensity * covered / (Supersampling * Supersampling);
            }
        }

        return pixels;
    }

    /// <summary>The image as a classification example for the batch loaders.</summary>
    public static LabeledFeatures ToExample(ShapeImage image) => new(image.Pixels, (int)image.Kind);

    private static bool Inside(ShapeKind kind, float u, float v, float extent, float stroke)
    {
        switch (kind)
        {
            case ShapeKind.Circle:
            {
                float radius = 0.85f * extent, squared = (u * u) + (v * v);
                return squared <= radius * radius && (stroke == 0 || squared >= (radius - stroke) * (radius - stroke));
            }

            case ShapeKind.Square:
            {
                float half = extent / MathF.Sqrt(2), distance = MathF.Max(MathF.Abs(u), MathF.Abs(v));
                return distance <= half && (stroke == 0 || distance >= half - stroke);
            }

            case ShapeKind.Triangle:
            {
                // The largest of the three edge distances (outward normals at -90, 30 and 150 degrees); the inradius is half the circumradius.
                float distance = MathF.Max(-v, MathF.Max((0.8660254f * u) + (0.5f * v), (-0.8660254f * u) + (0.5f * v)));
                return distance <= extent / 2 && (stroke == 0 || distance >= (extent / 2) - stroke);
            }

            case ShapeKind.Cross:
            {
                float thickness = stroke == 0 ? 0.3f * extent : stroke / 2;
                return (MathF.Abs(u) <= extent && MathF.Abs(v) <= thickness) || (MathF.Abs(v) <= extent && MathF.Abs(u) <= thickness);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a shape kind.");
        }
    }

    private static float Gaussian(Random random)
    {
        // Box-Muller; 1 - NextDouble() is in (0, 1], so the logarithm is finite.
        double radius = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble()));
        return (float)(radius * Math.Cos(2 * Math.PI * random.NextDouble()));
    }
}
