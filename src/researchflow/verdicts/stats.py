"""Verdicts with uncertainty: the interval of an effect, Holm's family, TOST, power (pure).

A prediction's evidence is a sample: the predicted metric of each repeat of one
confirmatory experiment, and the baseline (the registered constant, or the metric of the
baseline command's repeat under the same seed, which makes the comparison paired). Its
verdict follows from where the whole (1 - alpha) interval of the effect lies relative to
`min_effect` in the predicted direction; a `no_change` prediction is an equivalence test
(TOST, whose interval is the 1 - 2 alpha one) with `min_effect` as the margin. Several
predictions are one family: Holm's step-down correction sets each one's level.

scipy is imported inside the functions that need it: never at CLI or validate import time.
The bootstrap uses Python's own seeded generator, so a report regenerates byte for byte.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from statistics import NormalDist

from researchflow.base.frozen import frozen
from researchflow.base.output import attributes

CONFIRMED = "confirmed"
REFUTED = "refuted"
INCONCLUSIVE = "inconclusive"
BOOTSTRAP_MIN_N = 10  # below this a bootstrap interval says more about luck than the data
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20261202  # fixed: the same repeats give the same interval, every time
POWER = 0.8
_EPSILON = 1e-12


@frozen
class Interval:
    low: float
    high: float


@frozen
class Estimate:
    """The effect (observed - baseline) of one prediction over one experiment's repeats."""

    n: int
    mean: float  # the mean observed metric
    baseline: float  # the constant, or the mean of the paired baseline repeats
    effect: float  # the mean difference
    sd: float  # the standard deviation of the differences (0 when n < 2)
    paired: bool
    values: tuple[float, ...]  # the observed metric per repeat, in repeat order
    baselines: tuple[float, ...] = ()  # the paired baseline per repeat (paired only)

    @property
    def se(self) -> float:
        return self.sd / math.sqrt(self.n) if self.n > 1 else math.inf


@frozen
class Judgement:
    """A verdict, the interval it rests on and why; `interval` is None without one."""

    metric: str
    verdict: str
    reason: str  # one line a reader can check, e.g. "95 % interval +0.021 to +0.039"
    estimate: Estimate | None
    interval: Interval | None = None
    confidence: float | None = None  # of `interval`, after Holm's correction
    bootstrap: Interval | None = None  # same confidence, n >= BOOTSTRAP_MIN_N only
    p_value: float | None = None  # of the confirming test (one run: None)

    def to_json(self) -> dict[str, object]:
        est = self.estimate
        return {
            **attributes(self, "metric", "verdict", "reason"),
            "n": est.n if est else 0,
            "mean": est.mean if est else None,
            "baseline": est.baseline if est else None,
            "effect": est.effect if est else None,
            "paired": est.paired if est else False,
            "confidence": self.confidence,
            "interval": [self.interval.low, self.interval.high] if self.interval else None,
            "bootstrap": [self.bootstrap.low, self.bootstrap.high] if self.bootstrap else None,
            "p_value": self.p_value,
        }


@frozen
class Claim:
    """What a prediction claims: the metric moves in `direction` by at least `min_effect`."""

    metric: str
    baseline: float
    direction: str  # increase | decrease | no_change
    min_effect: float


def estimate(
    values: Sequence[float], baseline: float, paired_baselines: Sequence[float] | None = None
) -> Estimate | None:
    """The effect of `values` over a constant baseline, or over `paired_baselines` (same
    order, same seeds); None without any value. NaNs are dropped, with their pair."""
    if paired_baselines is not None:
        pairs = [
            (x, b)
            for x, b in zip(values, paired_baselines, strict=False)
            if not (math.isnan(x) or math.isnan(b))
        ]
        xs = tuple(x for x, _ in pairs)
        bs = tuple(b for _, b in pairs)
        diffs = [x - b for x, b in pairs]
        base = _mean(bs) if bs else baseline
    else:
        xs = tuple(x for x in values if not math.isnan(x))
        bs = ()
        diffs = [x - baseline for x in xs]
        base = baseline
    if not xs:
        return None
    return Estimate(
        n=len(xs),
        mean=_mean(xs),
        baseline=base,
        effect=_mean(diffs),
        sd=_sd(diffs),
        paired=paired_baselines is not None,
        values=xs,
        baselines=bs,
    )


def t_interval(est: Estimate, confidence: float) -> Interval:
    """The two-sided t-interval of the mean effect (n >= 2; zero spread gives a point)."""
    if est.n < 2:
        raise ValueError("a t-interval needs at least two values")
    if est.sd <= _EPSILON:
        return Interval(est.effect, est.effect)
    from scipy import stats

    half = float(stats.t.ppf(0.5 + confidence / 2, est.n - 1)) * est.se
    return Interval(est.effect - half, est.effect + half)


def bootstrap_interval(
    est: Estimate,
    confidence: float,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Interval:
    """The percentile bootstrap interval of the mean effect, from a fixed seed."""
    diffs = (
        [x - b for x, b in zip(est.values, est.baselines, strict=True)]
        if est.paired
        else [x - est.baseline for x in est.values]
    )
    rng = random.Random(seed)
    n = len(diffs)
    means = sorted(sum(rng.choices(diffs, k=n)) / n for _ in range(resamples))
    tail = (1 - confidence) / 2
    return Interval(_quantile(means, tail), _quantile(means, 1 - tail))


def holm(p_values: Sequence[float], alpha: float) -> list[bool]:
    """Holm's step-down: which hypotheses are rejected with the family-wise error <= alpha."""
    order = sorted(range(len(p_values)), key=lambda i: (p_values[i], i))
    rejected = [False] * len(p_values)
    m = len(p_values)
    for rank, index in enumerate(order):
        if p_values[index] > alpha / (m - rank):
            break
        rejected[index] = True
    return rejected


def holm_levels(p_values: Sequence[float], alpha: float) -> list[float]:
    """The significance level Holm's procedure tests each hypothesis at (by its rank)."""
    order = sorted(range(len(p_values)), key=lambda i: (p_values[i], i))
    levels = [alpha] * len(p_values)
    for rank, index in enumerate(order):
        levels[index] = alpha / (len(p_values) - rank)
    return levels


def confirm_p_value(claim: Claim, est: Estimate) -> float:
    """The p-value whose rejection at level a means the whole interval lies beyond
    min_effect: the two-sided (1 - a) interval for a direction, TOST's for no_change."""
    if est.n < 2:
        return 1.0
    if claim.direction == "no_change":
        return tost_p_value(est.effect, est.sd, est.n, claim.min_effect)
    gain = est.effect if claim.direction == "increase" else -est.effect
    distance = gain - claim.min_effect
    if est.sd <= _EPSILON:
        return 0.0 if distance > 0 else 1.0
    from scipy import stats

    statistic = distance / est.se
    return min(1.0, 2 * float(stats.t.sf(statistic, est.n - 1)))


def tost_p_value(mean: float, sd: float, n: int, margin: float) -> float:
    """Two one-sided t-tests of |mean| < margin: the larger of the two p-values."""
    if n < 2:
        return 1.0
    if sd <= _EPSILON:
        return 0.0 if abs(mean) < margin else 1.0
    from scipy import stats

    se = sd / math.sqrt(n)
    lower = float(stats.t.sf((mean + margin) / se, n - 1))  # H0: mean <= -margin
    upper = float(stats.t.sf((margin - mean) / se, n - 1))  # H0: mean >= +margin
    return max(lower, upper)


def required_repeats(sd: float, min_effect: float, alpha: float, power: float = POWER) -> int:
    """Repeats a two-sided one-sample (or paired) t-test needs to detect `min_effect` at
    `alpha` with `power`, given the spread `sd`: the smallest n whose power under the
    noncentral t-distribution reaches `power`, searched from the normal formula with
    Guenther's correction, ((z_a/2 + z_b) sd / d)^2 + z_a/2^2 / 2."""
    if min_effect <= 0:
        raise ValueError("min_effect must be positive to plan for power")
    if sd <= _EPSILON:
        return 1  # no spread at all: a deterministic experiment needs one run
    normal = NormalDist()
    z_alpha = normal.inv_cdf(1 - alpha / 2)
    z_beta = normal.inv_cdf(power)
    guess = ((z_alpha + z_beta) * sd / min_effect) ** 2 + z_alpha**2 / 2
    n = max(2, math.ceil(guess) - 2)
    while t_test_power(n, min_effect / sd, alpha) < power:
        n += 1
    while n > 2 and t_test_power(n - 1, min_effect / sd, alpha) >= power:
        n -= 1
    return n


def t_test_power(n: int, standardized_effect: float, alpha: float) -> float:
    """The power of a two-sided one-sample t-test with n values (noncentral t)."""
    from scipy import stats

    df = n - 1
    critical = float(stats.t.ppf(1 - alpha / 2, df))
    shift = standardized_effect * math.sqrt(n)
    return float(stats.nct.sf(critical, df, shift) + stats.nct.cdf(-critical, df, shift))


def sample_sd(values: Sequence[float]) -> float:
    """The sample standard deviation (n - 1); 0 for fewer than two values."""
    return _sd(list(values))


def judge_family(
    claims: Sequence[Claim],
    estimates: Mapping[str, Estimate | None],
    *,
    alpha: float,
    repeats: int,
    repeats_registered: bool,
) -> list[Judgement]:
    """Every prediction's verdict, the predictions taken together as one Holm family."""
    p_values = [
        confirm_p_value(c, e) if (e := estimates.get(c.metric)) is not None else 1.0 for c in claims
    ]
    levels = holm_levels(p_values, alpha)
    rejected = holm(p_values, alpha)
    return [
        _judge_one(claim, estimates.get(claim.metric), level, p, ok, repeats, repeats_registered)
        for claim, level, p, ok in zip(claims, levels, p_values, rejected, strict=True)
    ]


def _judge_one(
    claim: Claim,
    est: Estimate | None,
    level: float,
    p_value: float,
    holm_rejects: bool,
    repeats: int,
    repeats_registered: bool,
) -> Judgement:
    if est is None:
        return Judgement(claim.metric, INCONCLUSIVE, "not observed", None)
    if est.n == 1:
        if repeats_registered and repeats == 1:
            return Judgement(
                claim.metric, _point_verdict(claim, est.effect), "one run, as registered", est
            )
        why = (
            "one run; the plan registered no repeats"
            if not repeats_registered
            else f"1 of {repeats} registered repeats"
        )
        return Judgement(claim.metric, INCONCLUSIVE, why, est)
    tost = claim.direction == "no_change"
    confidence = 1 - 2 * level if tost else 1 - level
    interval = t_interval(est, confidence)
    boot = bootstrap_interval(est, confidence) if est.n >= BOOTSTRAP_MIN_N else None
    verdict = _interval_verdict(claim, interval)
    shown = f"{_percent(confidence)} interval {_signed(interval.low)} to {_signed(interval.high)}"
    if verdict == CONFIRMED and not holm_rejects:
        verdict = INCONCLUSIVE  # step-down: a stronger prediction of the family failed first
        shown += "; Holm's procedure stopped at a prediction with stronger evidence"
    if est.n < repeats:
        verdict = INCONCLUSIVE
        shown += f"; {est.n} of {repeats} registered repeats"
    return Judgement(claim.metric, verdict, shown, est, interval, confidence, boot, p_value)


def _interval_verdict(claim: Claim, interval: Interval) -> str:
    m = claim.min_effect
    if claim.direction == "no_change":
        if -m < interval.low and interval.high < m:
            return CONFIRMED
        if interval.low > m or interval.high < -m:
            return REFUTED
        return INCONCLUSIVE
    if claim.direction == "increase":
        low, high = interval.low, interval.high
    else:  # a decrease: the gain is the effect's negative
        low, high = -interval.high, -interval.low
    if low > m:
        return CONFIRMED
    if high < m:
        return REFUTED
    return INCONCLUSIVE


def _point_verdict(claim: Claim, effect: float) -> str:
    """One run registered as enough: the single value against the bar (the old rule)."""
    eps = 1e-9  # metrics arrive as floats: 0.44 - 0.42 must count as an effect of 0.02
    if claim.direction == "no_change":
        return CONFIRMED if abs(effect) <= claim.min_effect + eps else REFUTED
    gain = effect if claim.direction == "increase" else -effect
    if gain <= eps:
        return REFUTED
    return CONFIRMED if gain >= claim.min_effect - eps else INCONCLUSIVE


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _sd(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = _mean(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), of sorted values."""
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def _percent(confidence: float) -> str:
    return f"{confidence * 100:.4g} %"


def _signed(value: float) -> str:
    if abs(value) < 1e-12:
        value = 0.0
    return f"{value:+.4g}"
