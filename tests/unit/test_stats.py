"""The statistics behind verdicts, against numbers computed elsewhere: scipy's own tests
(a different code path from ours), textbook examples and G*Power's tables."""

from __future__ import annotations

import math

import pytest
from scipy import stats as sps

from researchflow.verdicts import stats
from researchflow.verdicts.stats import Claim

# Student's sleep data (Cushny & Peebles, 1905): extra hours of sleep, drug 1 and drug 2 on
# the same ten patients; the textbook paired example.
DRUG_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
DRUG_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_t_interval_matches_scipys_one_sample_test() -> None:
    values = [0.53, 0.55, 0.51, 0.56, 0.54]
    est = stats.estimate(values, 0.50)
    assert est is not None
    interval = stats.t_interval(est, 0.95)
    expected = sps.ttest_1samp([v - 0.50 for v in values], 0.0).confidence_interval(0.95)
    assert interval.low == pytest.approx(expected.low, abs=1e-12)
    assert interval.high == pytest.approx(expected.high, abs=1e-12)


def test_paired_interval_is_students_sleep_example() -> None:
    # Student (1908): mean difference 1.58 h, sd 1.23, 95 % interval 0.70 to 2.46
    est = stats.estimate(DRUG_2, 0.0, paired_baselines=DRUG_1)
    assert est is not None and est.paired
    assert est.effect == pytest.approx(1.58)
    interval = stats.t_interval(est, 0.95)
    expected = sps.ttest_rel(DRUG_2, DRUG_1).confidence_interval(0.95)
    assert (interval.low, interval.high) == pytest.approx((expected.low, expected.high))
    assert (round(interval.low, 2), round(interval.high, 2)) == (0.70, 2.46)


def test_holm_rejects_as_in_the_textbook_example() -> None:
    # Holm (1979) as usually taught: p = .01, .04, .03, .005 at alpha .05 → sorted .005
    # (≤ .0125), .01 (≤ .0167) rejected; .03 > .025 stops, so .04 is kept too.
    assert stats.holm([0.01, 0.04, 0.03, 0.005], 0.05) == [True, False, False, True]
    assert stats.holm_levels([0.01, 0.04, 0.03, 0.005], 0.05) == pytest.approx(
        [0.05 / 3, 0.05 / 1, 0.05 / 2, 0.05 / 4]
    )


def test_holm_stops_at_the_first_failure_even_when_a_later_one_would_pass() -> None:
    # .03 > .05/2 stops the procedure; .04 ≤ .05/1 is still not rejected
    assert stats.holm([0.03, 0.04], 0.05) == [False, False]


def test_tost_is_the_larger_of_scipys_two_one_sided_tests() -> None:
    diffs = [0.001, -0.002, 0.003, 0.0, -0.001, 0.002, 0.001, -0.003]
    margin = 0.005
    mean = sum(diffs) / len(diffs)
    p = stats.tost_p_value(mean, stats.sample_sd(diffs), len(diffs), margin)
    lower = sps.ttest_1samp(diffs, -margin, alternative="greater").pvalue
    upper = sps.ttest_1samp(diffs, margin, alternative="less").pvalue
    assert p == pytest.approx(max(lower, upper))
    assert p < 0.05


@pytest.mark.parametrize(
    ("effect_size", "alpha", "n"),
    [
        (0.5, 0.05, 34),  # G*Power, one-sample t-test, two tails, power .80
        (0.8, 0.05, 15),
        (0.2, 0.05, 199),
        (1.0, 0.01, 16),
    ],
)
def test_required_repeats_matches_gpower(effect_size: float, alpha: float, n: int) -> None:
    assert stats.required_repeats(1.0, effect_size, alpha) == n


def test_required_repeats_is_the_first_n_with_enough_power() -> None:
    sd, min_effect = 0.02, 0.01
    n = stats.required_repeats(sd, min_effect, 0.05)

    def power(k: int) -> float:
        critical = sps.t.ppf(0.975, k - 1)
        shift = min_effect / sd * math.sqrt(k)
        return sps.nct.sf(critical, k - 1, shift) + sps.nct.cdf(-critical, k - 1, shift)

    assert power(n) >= 0.8 > power(n - 1)


def test_bootstrap_is_close_to_scipys_and_the_same_every_time() -> None:
    values = [
        0.50 + 0.03 + 0.02 * z for z in (0.3, -1.1, 0.8, 1.5, -0.4, 0.1, -0.9, 0.6, 2.0, -0.2)
    ]
    est = stats.estimate(values, 0.50)
    assert est is not None
    first = stats.bootstrap_interval(est, 0.95)
    assert stats.bootstrap_interval(est, 0.95) == first
    theirs = sps.bootstrap(
        ([v - 0.50 for v in values],),
        lambda x: sum(x) / len(x),
        method="percentile",
        n_resamples=2000,
        random_state=1,
        vectorized=False,
    ).confidence_interval
    assert first.low == pytest.approx(theirs.low, abs=0.003)
    assert first.high == pytest.approx(theirs.high, abs=0.003)


def _family(values: dict[str, list[float]], claims: list[Claim], **kw: object) -> dict[str, str]:
    estimates = {c.metric: stats.estimate(values[c.metric], c.baseline) for c in claims}
    options = {"alpha": 0.05, "repeats": 10, "repeats_registered": True, **kw}
    return {j.metric: j.verdict for j in stats.judge_family(claims, estimates, **options)}


UP = Claim("acc", 0.50, "increase", 0.01)


def test_whole_interval_beyond_min_effect_confirms() -> None:
    assert _family({"acc": [0.53, 0.54, 0.52, 0.53, 0.55]}, [UP], repeats=5) == {"acc": "confirmed"}


def test_whole_interval_short_of_min_effect_refutes() -> None:
    assert _family({"acc": [0.500, 0.502, 0.499, 0.501, 0.500]}, [UP], repeats=5) == {
        "acc": "refuted"
    }


def test_interval_straddling_min_effect_is_inconclusive() -> None:
    assert _family({"acc": [0.49, 0.53, 0.50, 0.54, 0.505]}, [UP], repeats=5) == {
        "acc": "inconclusive"
    }


def test_a_decrease_mirrors_an_increase() -> None:
    down = Claim("loss", 1.0, "decrease", 0.1)
    assert _family({"loss": [0.8, 0.82, 0.79, 0.81]}, [down], repeats=4) == {"loss": "confirmed"}


def test_no_change_uses_equivalence() -> None:
    same = Claim("latency", 10.0, "no_change", 0.5)
    assert _family({"latency": [10.1, 9.9, 10.0, 10.05, 9.95]}, [same], repeats=5) == {
        "latency": "confirmed"
    }
    assert _family({"latency": [12.1, 11.9, 12.0, 12.05, 11.95]}, [same], repeats=5) == {
        "latency": "refuted"
    }


def test_one_run_without_registered_repeats_is_at_most_inconclusive() -> None:
    estimates = {"acc": stats.estimate([0.60], 0.50)}
    [judged] = stats.judge_family([UP], estimates, alpha=0.05, repeats=1, repeats_registered=False)
    assert judged.verdict == "inconclusive"
    assert judged.reason == "one run; the plan registered no repeats"
    [registered] = stats.judge_family(
        [UP], estimates, alpha=0.05, repeats=1, repeats_registered=True
    )
    assert registered.verdict == "confirmed"


def test_fewer_repeats_than_registered_never_confirm() -> None:
    result = _family({"acc": [0.53, 0.54, 0.52, 0.53, 0.55]}, [UP], repeats=10)
    assert result == {"acc": "inconclusive"}


def test_holm_widens_each_interval_of_a_family() -> None:
    claims = [Claim(f"m{i}", 0.5, "increase", 0.01) for i in range(3)]
    values = {c.metric: [0.53, 0.54, 0.52, 0.53, 0.55] for c in claims}
    estimates = {c.metric: stats.estimate(values[c.metric], 0.5) for c in claims}
    judged = stats.judge_family(claims, estimates, alpha=0.05, repeats=5, repeats_registered=True)
    levels = sorted(j.confidence or 0 for j in judged)
    assert levels == pytest.approx([0.95, 0.975, 1 - 0.05 / 3])
