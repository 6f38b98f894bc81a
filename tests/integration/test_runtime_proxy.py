"""PROXY protocol v1 and v2 on `haproxy = yes` listeners, through loft-echod."""
import socket
import struct

from echod_util import LineClient, echod, wait_for  # noqa: F401

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2_header(src, dst, sport, dport):
    body = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)
    return V2_SIG + bytes([0x21, 0x11]) + struct.pack("!H", len(body)) + body


def whoami_after(e, header: bytes) -> str:
    c = e.connect("haproxy")
    c.send(header)
    assert c.readline() == "* OK echo ready"
    line = c.cmd("WHOAMI")
    c.close()
    return line


def test_proxy_v1_and_v2_from_a_trusted_network_set_the_client_address(echod):
    e = echod("haproxy_trusted_networks = 127.0.0.0/8 ::1\n",
              listeners={"echo": {}, "haproxy": {"haproxy": "yes"}})
    line = whoami_after(e, b"PROXY TCP4 203.0.113.7 192.0.2.1 40000 143\r\n")
    assert "ip=203.0.113.7 port=40000 local=192.0.2.1" in line
    line = whoami_after(e, v2_header("198.51.100.9", "192.0.2.1", 51000, 993))
    assert "ip=198.51.100.9 port=51000" in line
    # The PROXY source counts as not local: not "secured" the way loopback is.
    assert "secured=no" in line
    # Without a header, or with garbage, the connection is dropped.
    c = e.connect("haproxy")
    c.send(b"HELLO\r\n")
    assert c.closed_by_server()
    c.close()


def test_proxy_header_from_an_untrusted_network_is_refused(echod):
    e = echod("haproxy_trusted_networks = 10.0.0.0/8\n",
              listeners={"echo": {}, "haproxy": {"haproxy": "yes"}})
    c = e.connect("haproxy")
    c.send(b"PROXY TCP4 203.0.113.7 192.0.2.1 40000 143\r\n")
    assert c.closed_by_server()
    c.close()
    wait_for(lambda: "not in haproxy_trusted_networks" in e.log(), "the refusal to be logged")
    # The plain listener is unaffected.
    c = e.connect("echo")
    assert c.readline() == "* OK echo ready"
    c.close()


def test_per_ip_cap_counts_the_proxied_client_address(echod):
    e = echod("haproxy_trusted_networks = 127.0.0.0/8\nlogin_max_connections_per_ip = 1\n",
              listeners={"echo": {}, "haproxy": {"haproxy": "yes"}})
    a = e.connect("haproxy")
    a.send(b"PROXY TCP4 203.0.113.7 192.0.2.1 40000 143\r\n")
    assert a.readline() == "* OK echo ready"
    b = e.connect("haproxy")
    b.send(b"PROXY TCP4 203.0.113.8 192.0.2.1 40001 143\r\n")
    assert b.readline() == "* OK echo ready"
    c = e.connect("haproxy")
    c.send(b"PROXY TCP4 203.0.113.7 192.0.2.1 40002 143\r\n")
    assert c.readline() == "* BYE Too many connections from your IP"
    for x in (a, b, c):
        x.close()


def test_connections_reset_before_accept_are_not_logged_as_untrusted(echod):
    # Trusted loopback peers that connect and reset at once (an RST flood, a
    # load balancer's probe), accepted only after the reset: client_limit = 1
    # and one held connection keep the server from accepting them earlier.
    e = echod("haproxy_trusted_networks = 127.0.0.0/8\ndefault_client_limit = 1\nauth_debug = yes\n",
              listeners={"echo": {}, "haproxy": {"haproxy": "yes"}})
    holder = e.connect()
    assert holder.readline() == "* OK echo ready"
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", e.port("haproxy")))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST
    holder.close()
    # The server is still fine and serves a real PROXY client.
    wait_for(lambda: "ip=203.0.113.7" in whoami_after(e, b"PROXY TCP4 203.0.113.7 192.0.2.1 40000 143\r\n"),
             "a PROXY client to be served")
    log = e.log()
    assert "not in haproxy_trusted_networks" not in log
    assert "Refused PROXY protocol connection from :" not in log
    # What happened is said at debug level.
    assert ("connection closed before the PROXY header" in log
            or "ended before it could be served" in log)
    assert "Info: PROXY protocol from 127.0.0.1: connection closed" not in log
