"""Statistics over seeds: Student's t quantile without a table, mean and 95% confidence half-width."""
import math

import pytest
from scipy import stats as scipy_stats

from tcpsim.stats import mean_ci, t_quantile


@pytest.mark.parametrize("df", list(range(1, 31)) + [57, 200])
def test_t_quantile_matches_scipy(df):
    assert t_quantile(0.95, df) == pytest.approx(scipy_stats.t.ppf(0.975, df), rel=1e-9)
    assert t_quantile(0.99, df) == pytest.approx(scipy_stats.t.ppf(0.995, df), rel=1e-9)


def test_mean_ci_is_student_t_over_the_values():
    mean, hw = mean_ci([10.0, 12.0, 14.0])
    assert mean == 12.0
    assert hw == pytest.approx(4.302652729749464 * 2.0 / math.sqrt(3))  # t(0.975, 2) * s / sqrt(n)


def test_mean_ci_of_one_value_has_no_interval_and_skips_missing_values():
    assert mean_ci([5]) == (5.0, None)
    assert mean_ci([None, float("nan")]) == (None, None)
    assert mean_ci([1.0, None, 3.0]) == (2.0, pytest.approx(12.706204736174707 * math.sqrt(2) / math.sqrt(2)))
