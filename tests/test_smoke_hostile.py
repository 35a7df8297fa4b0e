"""The smoke check against servers that misbehave on purpose, all on 127.0.0.1 and all bounded.

The smoke check talks to gateways and services the user does not control. A
server that trickles its answer, loops ``100 Continue``, never ends its body,
redirects forever or cuts its body short must not hold the run past its
``--deadline`` (plus a second), and what such a server sends, or what a stack's
outputs hold (a URL with credentials, a value of 100,000 characters), is shown
shortened and escaped, never whole.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from knative_platform.smoke.__main__ import main
from knative_platform.smoke.probe import Gateway, ProbeError

HOST = "svc.default.example.test"
Behaviour = Callable[[socket.socket, threading.Event], None]


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk


def trickle(conn: socket.socket, stop: threading.Event) -> None:
    """A whole, valid answer, one byte every 50 ms: slow forever, never silent long enough to time out."""
    body = b"hello"
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body) + b"x" * 10_000
    for byte in answer[:2_000]:  # bounded: at most 100 s, far past any deadline below
        if stop.wait(0.05):
            return
        conn.sendall(bytes([byte]))


def continue_loop(conn: socket.socket, stop: threading.Event) -> None:
    for _ in range(100_000):  # bounded
        if stop.is_set():
            return
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        time.sleep(0.001)


def endless_body(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(100_000):  # bounded
        if stop.wait(0.01):
            return
        conn.sendall(b"1\r\nx\r\n")


def redirect_loop(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://%s/\r\nContent-Length: 0\r\n\r\n" % HOST.encode())


def short_body(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten!!")


def garbage(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"\x1b[31mHTTP/9 \x00\x07" + b"A" * 60_000 + b"\r\n\r\n")


def slow_headers(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    for i in range(2_000):  # bounded
        if stop.wait(0.05):
            return
        conn.sendall(b"X-%d: y\r\n" % i)


@contextmanager
def hostile_server(behaviour: Behaviour) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that answers every connection with ``behaviour``; its port."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                _read_request(conn)
                behaviour(conn, stop)
            except OSError:
                pass  # the client hung up: what a deadline does

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def outputs_file(tmp_path, urls: dict) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"gatewayAddress": "127.0.0.1", "serviceUrls": urls}))
    return str(path)


# -- item 8: time is bounded -------------------------------------------------------------------------


@pytest.mark.parametrize("behaviour", [trickle, continue_loop, endless_body, redirect_loop, slow_headers])
def test_a_hostile_server_cannot_hold_the_run_past_its_deadline(tmp_path, capsys, behaviour):
    deadline = 0.5
    with hostile_server(behaviour) as port:
        started = time.monotonic()
        status = main(["--outputs", outputs_file(tmp_path, {"svc": f"http://{HOST}/"}), "--http-port", str(port),
                       "--timeout", "2", "--wait", "3", "--deadline", str(deadline)])
        elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    assert elapsed < deadline + 1, (elapsed, out)
    assert status == 1 and "FAIL reach svc" in out


@pytest.mark.parametrize("behaviour", [trickle, continue_loop, slow_headers])
def test_one_request_ends_at_its_own_timeout_however_the_server_sends(behaviour):
    with hostile_server(behaviour) as port:
        started = time.monotonic()
        with pytest.raises(ProbeError) as info:
            Gateway("127.0.0.1", port).get(HOST, "/", timeout=0.3)
        assert time.monotonic() - started < 0.8
    assert info.value.kind == "timeout"


def test_an_endless_body_ends_at_the_requests_timeout():
    with hostile_server(endless_body) as port, pytest.raises(ProbeError) as info:
        started = time.monotonic()  # 1-byte chunks never fill the bytes kept before the timeout
        Gateway("127.0.0.1", port).get(HOST, "/", timeout=0.3)
    assert time.monotonic() - started < 0.8 and info.value.kind == "timeout"


def test_a_body_shorter_than_its_content_length_is_a_failure(tmp_path, capsys):
    with hostile_server(short_body) as port:
        with pytest.raises(ProbeError) as info:
            Gateway("127.0.0.1", port).get(HOST, "/", timeout=2)
        assert "10 of the 100 bytes" in str(info.value)
        status = main(["--outputs", outputs_file(tmp_path, {"svc": f"http://{HOST}/"}), "--http-port", str(port),
                       "--wait", "0", "--deadline", "5"])
    out = capsys.readouterr().out
    assert status == 1 and "FAIL reach svc" in out and "ok   reach" not in out


# -- item 9: what the run prints ----------------------------------------------------------------------


def test_credentials_in_a_url_are_never_printed(tmp_path, capsys):
    secret = "s3cr3t-Pa55"
    with hostile_server(redirect_loop) as port:
        main(["--outputs", outputs_file(tmp_path, {"svc": f"http://admin:{secret}@{HOST}/x?token={secret}"}),
              "--http-port", str(port), "--wait", "0", "--deadline", "5"])
    out, err = capsys.readouterr()
    assert secret not in out + err and "admin" not in out + err
    assert f"http://[plain-text secret]@{HOST}/x?token=[plain-text secret]" in out


@pytest.mark.parametrize("data", [
    {"serviceUrls": {"svc": "x" * 100_000}},
    {"serviceUrls": {"svc": ["y" * 100_000]}},
    {"serviceUrls": {"svc": "http://" + "h" * 100_000}},
    {"serviceUrls": {"svc": f"http://{HOST}/"}, "traffic": {"svc": [{"percent": "9" * 100_000,
                                                                   "latestRevision": True}]}},
    {"serviceUrls": {"svc": f"http://{HOST}/\r\nX-Injected: 1"}},
    {"serviceUrls": {"svc": "http://bad host\u0000/"}},
    {"serviceUrls": {"s" * 100_000: f"http://{HOST}/"}, "tagUrls": {"s" * 100_000: []}},
])
def test_a_malformed_output_value_is_not_echoed_whole(tmp_path, capsys, data):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"gatewayAddress": "127.0.0.1", **data}))
    assert main(["--outputs", str(path), "--deadline", "5"]) == 2
    err = capsys.readouterr().err
    assert 0 < len(err) < 500 and err.rstrip("\n").isprintable()


def test_a_servers_bytes_are_shortened_and_escaped(tmp_path, capsys):
    with hostile_server(garbage) as port:
        status = main(["--outputs", outputs_file(tmp_path, {"svc": f"http://{HOST}/"}), "--http-port", str(port),
                       "--wait", "0", "--deadline", "5"])
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert status == 1 and len(line) < 500 and line.isprintable()
    assert "\\x1b" in line or "AAAA" in line
