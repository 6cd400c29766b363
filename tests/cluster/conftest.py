import pytest


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """A failed cluster test shows the end of every process's log beside its assertion."""
    report = yield
    cluster = getattr(item, "funcargs", {}).get("cluster")
    if report.failed and cluster is not None and hasattr(cluster, "report"):
        report.sections.append(("cluster processes' logs", cluster.report()))
    return report
