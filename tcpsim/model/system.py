"""The simulated system as plain data: what a scenario file describes after validation.

``Model`` is everything an engine needs: hardware, kernel tunables, the server application, the clients, the
run window, the kernel paths and locks (possibly patched by a variant) and the costs. Engines read it; they
never consult a scenario file or the costs file themselves.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hardware:
    cpus: int
    queues: int
    queue_cpus: tuple[int, ...]
    link_gbps: float
    rx_ring_descriptors: int
    rx_process_limit: int
    max_interrupt_rate: int
    rss_key: bytes
    lock_race_weight: tuple[float, ...] | None = None  # None: every spinning CPU is equally likely to win
    tx_process_limit: int = 256
    enable_aim: bool = True  # hw.ixgbe.enable_aim: adaptive interrupt moderation (model/nic.py)
    que_task_cpu: str = "unbound"  # "unbound" (10.0: the scheduler places the queue task) or "queue" (pinned)
    tx_ring_descriptors: int = 2048  # hw.ixgbe.txd (2.5.15: PERFORM_TXD); a small frame takes two (model/nic.py)
    vlan: bool = False  # frames arrive 802.1Q-tagged: vlan_input per frame (paths.with_vlan)
    # topology (model/topology.py): cores per socket = cpus / sockets / threads_per_core
    sockets: int = 1
    threads_per_core: int = 1
    cpu_numbering: str = "freebsd"  # "freebsd": SMT siblings next to each other; "linux": i and i + cores apart


@dataclass(frozen=True)
class KernelSpec:
    maxtcptw: int
    msl_s: float
    backlog: int
    slowtimo_ms: float
    timer_cpu: int
    timewait_prefill: bool
    socket_backlog: int = 0  # frames a socket's backlog holds (kernels with one: kernel_state's backlog_* actions)


@dataclass(frozen=True)
class AppSpec:
    accept_cpu: int
    worker_cpus: tuple[int, ...]
    acceptors: str = "thread"  # "thread": one accept thread, one listen socket; "per_worker": reuseport


@dataclass(frozen=True)
class ClientSpec:
    mode: str  # "open" (arrivals at a rate) or "closed" (concurrent clients)
    rate: float  # connections/s, open loop
    concurrency: int  # closed loop
    think_us: float
    rtt_us: float
    request_bytes: int
    response_bytes: int
    addresses: int
    server_address: str
    server_port: int
    syn_rto_ms: float
    rto_ms: float
    max_syn_retries: int
    arrivals: str = "poisson"  # open loop: "poisson" or "paced" (model/clients.py, arrival_gap_ns)
    jitter: float = 0.0  # paced: each gap is the mean gap times 1 +- jitter (uniform)

    def one_way_ns(self) -> int:
        """Half the round-trip time, in ns: a frame's flight from a client to the server or back."""
        return int(self.rtt_us * 500)


@dataclass(frozen=True)
class RunSpec:
    duration_s: float
    warmup_s: float
    seed: int
    series_ms: float = 1.0  # sampling interval of the run's time series (0: none)

    def window_ns(self) -> tuple[int, int]:
        """The measured window [w0, w1) in ns: after the warm-up, for the duration."""
        w0 = int(self.warmup_s * 1e9)
        return w0, w0 + int(self.duration_s * 1e9)


@dataclass
class Model:
    name: str
    hardware: Hardware
    kernel: KernelSpec
    app: AppSpec
    clients: ClientSpec
    run: RunSpec
    paths: dict
    locks: dict
    costs: dict  # cost name -> nanoseconds (int) or constant
    cpu_cost_names: tuple = ()  # the per-step CPU costs and lock timings (what calibration may move)
    variant: str = "baseline"
    kernel_name: str = "freebsd10"  # the kernel package the model runs (tcpsim/kernels/)
    scenario_sha256: str = ""
    source: str = ""
    # The workload: None for the article's (clients, NIC, test-bed threads), or a bench.BenchSpec for the lock
    # microbenchmark (its threads alone; model/bench.py)
    bench: object = None

    def ns(self, key: str) -> int:
        return int(self.costs[key])
