"""What the load benchmarks (feed.py, pages.py, load.py) share: ports, Redis, gunicorn, progress lines."""

import re
import signal
import socket
import subprocess
import time

_started = time.perf_counter()
_step = 0


def progress(message: str) -> None:
    global _step
    _step += 1
    print(f"[{_step}] {time.perf_counter() - _started:6.1f}s  {message}", flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_usable(host: str = "127.0.0.1", port: int = 6379) -> tuple[bool, str]:
    try:
        import redis  # noqa: F401  (Django's redis cache backend needs it)
    except ImportError:
        return False, "the redis package is not installed in this virtualenv"
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            if not sock.recv(16).startswith(b"+PONG"):
                return False, f"Redis on {host}:{port} did not answer PING"
    except OSError as error:
        return False, f"no Redis on {host}:{port} ({error})"
    return True, ""


def query_shape(sql: str) -> str:
    return re.sub(r"\d+", "N", re.sub(r"IN \([^)]*\)", "IN (...)", sql))


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # the master stops its workers
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=5)
