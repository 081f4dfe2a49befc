using System;
using System.Collections.Generic;

namespace ModelDsl.Examples.Sentiment;

/// <summary>
/// The baseline the Transformer must beat: logistic regression on word counts (order ignored),
/// trained with full-batch gradient descent. If it scored as well as the Transformer, the task
/// would not need word order.
/// </summary>
public sealed class BagOfWordsBaseline
{
    private readonly Dictionary<string, int> _index;
    private readonly double[] _weights;
    private double _bias;

    /// <summary>Creates an untrained baseline over <paramref name="vocabulary"/>.</summary>
    public BagOfWordsBaseline(IReadOnlyList<string> vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < vocabulary.Count; i++)
        {
            _index[vocabulary[i]] = i;
        }

        _weights = new double[vocabulary.Count];
    }

    /// <summary>Fits the weights by gradient descent on the mean logistic loss.</summary>
    public void Train(IReadOnlyList<Review> reviews, int epochs = 200, double learningRate = 0.5)
    {
        ArgumentNullException.ThrowIfNull(reviews);
        var gradient = new double[_weights.Length];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            Array.Clear(gradient);
            double biasGradient = 0;
            foreach (var review in reviews)
            {
                double error = Probability(review) - (review.Positive ? 1 : 0);
                foreach (var word in review.Words)
                {
                    gradient[_index[word]] += error;
                }

                biasGradient += error;
            }

            for (int i = 0; i < _weights.Length; i++)
            {
                _weights[i] -= learningRate * gradient[i] / reviews.Count;
            }

            _bias -= learningRate * biasGradient / reviews.Count;
        }
    }

    /// <summary>Fraction of <paramref name="reviews"/> classified correctly.</summary>
    public double Accuracy(IReadOnlyList<Review> reviews)
    {
        ArgumentNullException.ThrowIfNull(reviews);
        int correct = 0;
        foreach (var review in reviews)
        {
            if ((Probability(review) >= 0.5) == review.Positive)
            {
                correct++;
            }
        }

        return (double)correct / reviews.Count;
    }

    private double Probability(Review review)
    {
        double z = _bias;
        foreach (var word in review.Words)
        {
            z += _weights[_index[word]];
        }

        return 1 / (1 + Math.Exp(-z));
    }
}
