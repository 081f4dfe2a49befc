using System;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.Metrics;
using ModelDsl.Optim;
using ModelDsl.Training;

namespace ModelDsl.Examples.Vision.Tests;

/// <summary>The drawn shapes: the generator's determinism, balance and geometry, and a short training run of the shapes CNN.</summary>
public sealed class ShapesTests
{
    [Fact]
    public void The_same_seed_draws_the_same_images_and_another_seed_others()
    {
        ShapeImage[] first = Shapes.Generate(24, seed: 5), again = Shapes.Generate(24, seed: 5), other = Shapes.Generate(24, seed: 6);
        Assert.Equal(first.Select(image => image.Kind), again.Select(image => image.Kind));
        Assert.All(Enumerable.Range(0, first.Length), i => Assert.Equal(first[i].Pixels, again[i].Pixels));
        Assert.All(Enumerable.Range(0, first.Length), i => Assert.NotEqual(first[i].Pixels, other[i].Pixels));
    }

    [Fact]
    public void The_fixed_sets_are_balanced_32x32_images_in_0_to_1()
    {
        (ShapeImage[] train, ShapeImage[] test) = Shapes.Sets();
        Assert.Equal(3000, train.Length);
        Assert.Equal(600, test.Length);
        foreach (ShapeKind kind in Enum.GetValues<ShapeKind>())
        {
            Assert.Equal(750, train.Count(image => image.Kind == kind));
            Assert.Equal(150, test.Count(image => image.Kind == kind));
        }

        Assert.All(train.Concat(test), image => Assert.Equal(32 * 32, image.Pixels.Length));
        Assert.All(train.Concat(test), image => Assert.All(image.Pixels, p => Assert.InRange(p, 0f, 1f)));

        // No training image reappears in the test set (different seeds).
        Assert.DoesNotContain(test, image => train.Any(other => other.Pixels.AsSpan().SequenceEqual(image.Pixels)));
    }

    [Theory]
    [InlineData(ShapeKind.Circle, 226.98)] // pi (0.85 * 10)^2
    [InlineData(ShapeKind.Square, 200.0)] // (2 * 10 / sqrt 2)^2
    [InlineData(ShapeKind.Triangle, 129.90)] // 3 sqrt 3 / 4 * 10^2, the equilateral triangle of circumradius 10
    [InlineData(ShapeKind.Cross, 204.0)] // two 20 x 6 arms overlapping in a 6 x 6 square
    public void A_filled_shape_covers_its_area(ShapeKind kind, double area)
    {
        float[] pixels = Shapes.Render(kind, centerX: 16, centerY: 16, extent: 10, angle: 0.3f, stroke: 0, intensity: 1);

        // 4x4 supersampling misjudges at most part of each pixel on the outline (about 60 pixels here), and the errors mostly
        // cancel: 3 % of the area is about 4 to 7 pixels.
        Assert.InRange(pixels.Sum(), area * 0.97, area * 1.03);
        Assert.Equal(1f, pixels[(16 * 32) + 16]); // the centre is inside every filled shape
        Assert.Equal(0f, pixels[0]); // the corner is outside
    }

    [Fact]
    public void A_stroked_circle_is_a_ring()
    {
        float[] ring = Shapes.Render(ShapeKind.Circle, 16, 16, extent: 10, angle: 0, stroke: 2, intensity: 1);
        Assert.Equal(0f, ring[(16 * 32) + 16]);

        // pi (8.5^2 - 6.5^2), within the same 3 % as the filled shapes.
        Assert.InRange(ring.Sum(), 94.25 * 0.97, 94.25 * 1.03);
    }

    [Fact]
    public void Every_two_classes_drawn_from_the_same_draws_differ()
    {
        // The same random stream gives every kind the same position, size, angle, style, intensity and noise: what differs is the shape.
        float[][] images = [.. Enum.GetValues<ShapeKind>().Select(kind => Shapes.Draw(kind, new Random(3)))];
        for (int a = 0; a < images.Length; a++)
        {
            for (int b = a + 1; b < images.Length; b++)
            {
                // At least 20 pixels' worth of ink apart (the smallest shapes cover about 25 pixels stroked).
                double distance = images[a].Zip(images[b], (x, y) => Math.Abs(x - y)).Sum();
                Assert.True(distance > 20, $"{(ShapeKind)a} and {(ShapeKind)b} differ by {distance:F1} only");
            }
        }
    }

    [Fact]
    public void Two_epochs_of_the_shapes_CNN_beat_chance()
    {
        (ShapeImage[] train, ShapeImage[] test) = Shapes.Sets();
        var rows = RowWriters.FeatureClassification<ShapeCnn.Batch>();
        var trainBatches = new BatchLoader<ShapeCnn.Batch, LabeledFeatures>([.. train.Select(Shapes.ToExample)], rows, new LoaderOptions { Seed = 1 });
        var testBatches = new BatchLoader<ShapeCnn.Batch, LabeledFeatures>([.. test.Select(Shapes.ToExample)], rows, new LoaderOptions { Shuffle = false });
        using ShapeCnn.Trainer trainer = new ShapeCnn(seed: 1).CreateTrainer(new AdamW(3e-3f, weightDecay: 1e-4f), threads: 1);
        History history = trainer.Fit(trainBatches, testBatches, new FitOptions { Epochs = 2, Metrics = [new Accuracy()] });

        // Chance is 25 % on four balanced classes; 50 % of 600 is far beyond what guessing reaches (a binomial's 10 sigma).
        Assert.True(history.Evaluations[^1].Metrics["accuracy"] > 0.5, $"accuracy {history.Evaluations[^1].Metrics["accuracy"]:P2}");
    }
}
