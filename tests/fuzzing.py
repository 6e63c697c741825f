"""How the property-based tests (hypothesis) run: bounded and the same every run, so the
suite stays fast and green on any machine; HYPOTHESIS_EXPLORE=1 lets them look further
(ten times the examples, new ones each run) when hunting for bugs."""
import os

from hypothesis import HealthCheck, settings

EXPLORE = os.environ.get("HYPOTHESIS_EXPLORE") == "1"


def bounded(max_examples=60):
    """Settings for one property test: at most `max_examples` (x10 when exploring), no
    deadline (a loaded machine is slow, not wrong), no example database on disk."""
    return settings(
        max_examples=max_examples * (10 if EXPLORE else 1), deadline=None, database=None,
        derandomize=not EXPLORE, print_blob=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
