"""Where runs execute -- here, in local processes (--jobs), on a dask.distributed cluster (--scheduler) --
does not change a single number."""
import io
import json

import pytest
from dask import distributed

from tcpsim.cli import main

from .conftest import SMALL


@pytest.fixture(scope="module")
def cluster():
    # one worker process: the tasks are pickled to another interpreter and back, as on a real cluster (~1 s)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c.scheduler_address


def _rows(args):
    out, err = io.StringIO(), io.StringIO()
    assert main([*args, "--json"], out, err) == 0, err.getvalue()
    return json.loads(out.getvalue())["rows"]


ARGS = ["--set", "clients.concurrency=[8, 16]", "--variants", "baseline,rlock", "--seeds", "2", "--duration", "0.003"]


@pytest.fixture(scope="module")
def scen(tmp_path_factory):
    # one file for every way of running: its path is part of each row (scenario_path), as given
    p = tmp_path_factory.mktemp("local") / "s.toml"
    p.write_text(SMALL)
    return p


@pytest.fixture(scope="module")
def local(scen):
    return _rows(["sweep", str(scen), *ARGS])


def test_parallel_processes_give_the_serial_rows_in_the_same_order(scen, local):
    assert _rows(["sweep", str(scen), *ARGS, "--jobs", "2"]) == local


def test_a_sweep_on_a_cluster_equals_the_local_sweep(tmp_path, scen, cluster, local):
    p = scen
    args = ["sweep", str(p), *ARGS]
    remote = _rows(args + ["--scheduler", cluster, "-o", str(tmp_path / "r.parquet")])
    assert remote == local and len(remote) == 8
    compare = ["compare", str(p), "--variants", "baseline", "--queues", "1,2", "--duration", "0.003"]
    assert _rows(compare + ["--scheduler", cluster]) == _rows(compare)


@pytest.mark.parametrize("extra, words", [
    (["--scheduler", "bogus://x"], ["--scheduler bogus://x: cannot connect", "allowed"]),
    (["--scheduler", "tcp://127.0.0.1:8786", "--jobs", "2"], ["--jobs and --scheduler"]),
])
def test_scheduler_mistakes_are_one_line_errors(tmp_path, extra, words):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    err = io.StringIO()
    assert main(["sweep", str(p), "--set", "clients.concurrency=4", "--duration", "0.002", *extra],
                io.StringIO(), err) == 2
    assert len(err.getvalue().strip().splitlines()) == 1 and all(w in err.getvalue() for w in words), err.getvalue()
