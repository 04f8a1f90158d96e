"""The Ray cluster path of the suite: a real two-node Ray cluster on this machine.

``ray start --head`` and ``ray start --address`` start two raylets (two Ray nodes, one CPU each)
on this host; ``run_benchmark.py --executor ray --ray_address`` runs a small suite on them. The
test checks that cells ran on both nodes (each record names its Ray node), that every result is
complete and written exactly once by the driver (a ``sitecustomize`` loaded by the driver and by
every Ray worker logs each write of a result file with its process id), and that SIGKILLing the
worker node's raylet and its workers mid-run loses nothing: the run goes on on the head, records
the lost cell as failed, and the rerun of the same command finishes it without touching the
results already written.

The cluster is stopped by process id (every process started for its temporary folder), not with
``ray stop``, which would stop every Ray instance of this user on the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pytest
from needs import need_store

from inn.results import RESULT_FILE, record_problem

REPO = Path(__file__).resolve().parents[1]
DATASETS = [37, 31]  # diabetes, credit-g: small
SEEDS = [0, 1, 2, 3]
N_CELLS = len(DATASETS) * len(SEEDS)
# no early stopping: each cell trains a couple of seconds, long enough to be caught in flight
SETTINGS = ["--set", "inn.nr_epochs=150", "--set", "inn.early_stopping=false"]

# Loaded by every Python process of the test (the driver and the Ray workers of both nodes, which
# inherit PYTHONPATH from `ray start`): logs that the process started (with its command line) and
# every rename onto a result file, i.e. every write of a result (they are written atomically).
HOOK = '''
import os

_LOG = os.environ.get("INN_TEST_WRITE_LOG")


def _note(kind, detail):
    line = f"{kind}\\t{os.getpid()}\\t{' '.join(str(detail).split())}\\n"
    fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def _watch(rename):
    def wrapped(src, dst, *args, **kwargs):
        out = rename(src, dst, *args, **kwargs)
        if os.path.basename(os.fspath(dst)) == "output_info.json":
            _note("write", os.path.abspath(os.fspath(dst)))
        return out
    return wrapped


if _LOG:
    try:
        with open("/proc/self/cmdline", "rb") as fh:
            _note("start", fh.read().replace(b"\\0", b" ").decode(errors="replace")[:400])
    except OSError:
        _note("start", "?")
    os.replace = _watch(os.replace)
    os.rename = _watch(os.rename)
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A head node and a worker node on this host, all under one temporary folder."""

    def __init__(self, root: Path, env: dict) -> None:
        self.root = root
        self.env = env
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.ray = [str(Path(sys.executable).with_name("ray"))]
        self.seen: dict = {}  # pid -> psutil.Process of everything started for this cluster

    def _start(self, args: list[str]) -> None:
        done = subprocess.run([*self.ray, "start", *args, "--num-cpus=1",
                               "--object-store-memory=100000000", "--disable-usage-stats"],
                              env=self.env, capture_output=True, text=True, timeout=120)
        self.track()
        if done.returncode != 0:
            raise RuntimeError(f"ray start {' '.join(args)} failed:\n{done.stderr[-2000:]}")

    def start(self) -> None:
        """Start both nodes; once more on fresh ports when `ray start` fails (a port taken by
        another program between choosing it and binding it), with a warning that says why."""
        for attempt in (1, 2):
            try:
                self._start(["--head", f"--port={self.port}", f"--temp-dir={self.root}",
                             "--include-dashboard=false", f"--dashboard-port={_free_port()}"])
                self._start([f"--address={self.address}"])
                break
            except RuntimeError as err:
                assert attempt == 1, str(err)
                warnings.warn(f"retrying the cluster start: {err}", stacklevel=1)
                assert not self.stop(), "the failed start left processes"
                self.port = _free_port()
                self.address = f"127.0.0.1:{self.port}"
        assert len(self.raylets()) == 2, "the second node did not start"

    def track(self) -> list:
        """Every live process started for this cluster: those naming its folder, their
        descendants (the workers rename themselves ray::...)."""
        import psutil

        for p in psutil.process_iter(["cmdline"]):
            try:
                if any(str(self.root) in a for a in p.info["cmdline"] or ()):
                    self.seen[p.pid] = p
                    for child in p.children(recursive=True):
                        self.seen[child.pid] = child
            except psutil.Error:
                continue
        return [p for p in self.seen.values() if _alive(p)]

    def raylets(self) -> dict[str, dict]:
        """``node id -> {"process", "head", "socket"}`` of the live raylets."""
        out = {}
        for p in self.track():
            try:
                args = p.cmdline()
            except Exception:
                continue
            if not args or not args[0].endswith("/raylet"):
                continue
            opts = dict(a[2:].split("=", 1) for a in args if a.startswith("--") and "=" in a)
            out[opts["node_id"]] = {"process": p, "socket": opts["raylet_socket_name"],
                                    "head": "__internal_head__" in opts["static_resource_list"]}
        return out

    def kill_node(self, node_id: str) -> None:
        """SIGKILL one node: its raylet and everything the raylet started (its workers)."""
        raylet = self.raylets()[node_id]["process"]
        victims = [*raylet.children(recursive=True), raylet]
        for p in victims:
            _kill(p)

    def stop(self) -> list:
        """Kill every process of the cluster; return those still alive afterwards."""
        for _ in range(3):
            alive = self.track()
            if not alive:
                break
            for p in alive:
                _kill(p)
            time.sleep(0.5)
        return self.track()


def _alive(p) -> bool:
    import psutil

    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _kill(p) -> None:
    import psutil

    try:
        p.send_signal(signal.SIGKILL)
    except psutil.Error:
        pass


@pytest.fixture
def cluster(tmp_path):
    pytest.importorskip("ray", reason="the Ray cluster test needs ray (the suite extra)")
    pytest.importorskip("psutil")
    store = need_store(*DATASETS)
    if not Path(sys.executable).with_name("ray").is_file():
        pytest.skip("no `ray` command next to this Python")
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update({
        "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), str(REPO),
                                                    os.environ.get("PYTHONPATH")])),
        "INN_TEST_WRITE_LOG": str(tmp_path / "writes.log"), "INN_DATA_DIR": str(store),
        "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1",
        # a test cluster on one host: no token (ray start --head makes one by default) and no
        # usage reports
        "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0",
    })  # fmt: skip
    # unix socket paths are short: not under pytest's long tmp_path
    root = Path(tempfile.mkdtemp(prefix="inn-ray-", dir="/tmp" if os.path.isdir("/tmp") else None))
    c = Cluster(root, env)
    try:
        c.start()
        yield c
    finally:
        left = c.stop()
        shutil.rmtree(root, ignore_errors=True)
    assert not left, f"processes of the test cluster survived: {left}"


def _results(out: Path) -> dict[Path, dict]:
    found = {}
    for path in sorted(out.glob(f"*/*/*/{RESULT_FILE}")):
        try:
            found[path] = json.loads(path.read_text())
        except ValueError:  # a damaged file: the checks below report it
            found[path] = None
    return found


def _log(path: Path) -> list[tuple[str, int, str]]:
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        kind, pid, detail = line.split("\t", 2)
        rows.append((kind, int(pid), detail))
    return rows


@pytest.mark.slow
@pytest.mark.xdist_group("ray")  # never beside the other Ray tests
def test_suite_on_a_two_node_cluster_survives_losing_a_node(cluster, tmp_path):
    nodes = cluster.raylets()
    head = next(n for n, info in nodes.items() if info["head"])
    worker = next(n for n, info in nodes.items() if not info["head"])
    out = tmp_path / "results"
    cmd = [sys.executable, str(REPO / "run_benchmark.py"), "--datasets", *map(str, DATASETS),
           "--methods", "inn", "--seeds", *map(str, SEEDS), *SETTINGS, "--device", "cpu",
           "--output_dir", str(out), "--executor", "ray", "--ray_address", cluster.address,
           "--quiet"]

    def start() -> subprocess.Popen:
        return subprocess.Popen(cmd, cwd=REPO, env=cluster.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)

    def worker_busy() -> bool:
        """A worker of the worker node is running a cell (Ray names the process after it)."""
        raylet = cluster.raylets().get(worker)
        if raylet is None:
            return False
        for p in raylet["process"].children(recursive=True):
            try:
                if "cell:" in " ".join(p.cmdline()):
                    return True
            except Exception:
                continue
        return False

    # 1) run, and SIGKILL the worker node once it has finished a cell and is running another
    first = start()
    deadline = time.time() + 150
    try:
        while True:
            assert first.poll() is None, "the run ended before the worker node could be killed:\n" \
                + first.communicate()[0][-3000:]
            assert time.time() < deadline, "the worker node never finished a cell"
            done = _results(out)
            by_worker = [p for p, r in done.items()
                         if r and r.get("executor", {}).get("node_id") == worker]
            if by_worker and worker_busy():
                break
            time.sleep(0.05)
        assert len(done) < N_CELLS, "every cell finished before the kill"
        cluster.kill_node(worker)
        text, _ = first.communicate(timeout=150)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.communicate()
    assert "'CPU': 2.0" in text, text[-3000:]  # the driver saw both nodes
    assert first.returncode == 1, text[-3000:]  # the cell lost with the node failed
    failed = sorted(out.glob("*/*/*/error.json"))
    assert failed, "no cell was lost with the worker node"
    kept = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in _results(out)}
    assert 1 <= len(kept) < N_CELLS
    for path in failed:  # the lost cells ran on the killed node, and have no result
        assert not (path.parent / RESULT_FILE).exists()

    # 2) the same command again: the lost cells run on the head, nothing else is touched
    second = start()
    text, _ = second.communicate(timeout=180)
    assert second.returncode == 0, text[-3000:]
    assert f"{len(kept)} already done" in text, text[-3000:]

    results = _results(out)
    assert len(results) == N_CELLS
    cells = set()
    for path, record in results.items():
        method, dataset, seed = path.parts[-4:-1]
        assert record is not None, f"{path} is not JSON"
        assert record_problem(record, method, dataset, int(seed)) is None, path
        assert record["executor"]["kind"] == "ray"
        cells.add((method, dataset, seed))
    assert len(cells) == N_CELLS
    assert not list(out.glob("*/*/*/error.json")), "a lost cell was not run again"
    assert not [p for p in out.rglob("*") if p.name.endswith((".tmp", ".old"))]
    for path, stamp in kept.items():
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == stamp, f"{path} was rewritten"
    # both nodes ran cells; the resumed ones ran on the head, the only node left
    where = {r["executor"]["node_id"] for r in results.values()}
    assert where == {head, worker}
    for path, record in results.items():
        if path not in kept:
            assert record["executor"]["node_id"] == head

    # every result written exactly once, by the driver of its run; the processes that ran the
    # cells had the write log too, so a result written by a worker would show up here
    log = _log(tmp_path / "writes.log")
    writes = [(pid, Path(detail)) for kind, pid, detail in log if kind == "write"]
    assert sorted(p for _, p in writes) == sorted(results), "a result written twice, or not logged"
    assert {pid for pid, p in writes if p in kept} == {first.pid}
    assert {pid for pid, p in writes if p not in kept} == {second.pid}
    hooked = {pid for kind, pid, detail in log if kind == "start" and "default_worker" in detail}
    ran = {int(r["executor"]["worker"].rsplit(":", 1)[1]) for r in results.values()}
    assert ran <= hooked, "a Ray worker ran without the write log"
    assert not ran & {first.pid, second.pid}  # the cells ran in Ray workers, not the driver

    # the cluster is stopped by the fixture, which fails if any of its processes survive
    assert cluster.raylets().keys() == {head}
