"""The cluster test skips without its servers on a developer's machine and fails on CI. Here, apart from
test_cluster.py, whose tests share one running cluster."""

import pytest

from tests.cluster import test_cluster


@pytest.fixture
def no_redis(monkeypatch):
    monkeypatch.setattr(test_cluster, "REDIS_SERVER", None)
    monkeypatch.setattr(test_cluster, "server_binaries", lambda: "/usr/lib/postgresql/15/bin")


@pytest.mark.parametrize("ci", ["true", "1"])
def test_without_redis_the_cluster_test_fails_on_ci(no_redis, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match=r"redis-server .* On CI .* the cluster test must run"):
        test_cluster.servers_or_stop()


@pytest.mark.parametrize("ci", [None, "", "false"])
def test_without_redis_the_cluster_test_skips_elsewhere(no_redis, monkeypatch, ci):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="the cluster needs redis-server"):
        test_cluster.servers_or_stop()


def test_without_postgresql_it_skips_even_on_ci(monkeypatch):
    monkeypatch.setattr(test_cluster, "server_binaries", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.skip.Exception, match="initdb"):
        test_cluster.servers_or_stop()


def test_with_both_servers_it_goes_on():
    """This machine has both (bad: a skip or failure with the servers installed)."""
    if test_cluster.REDIS_SERVER is None or test_cluster.server_binaries() is None:
        pytest.skip("this machine lacks redis-server or initdb")
    test_cluster.servers_or_stop()
