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
