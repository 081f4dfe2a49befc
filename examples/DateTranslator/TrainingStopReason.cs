namespace ModelDsl.Examples.DateTranslator;

/// <summary>Why a training loop ended.</summary>
public enum TrainingStopReason
{
    /// <summary>The requested number of steps ran.</summary>
    Steps,

    /// <summary>The time limit passed.</summary>
    TimeLimit,

    /// <summary>The step function called <see cref="TrainingProgress.Stop"/>.</summary>
    Requested,
}
