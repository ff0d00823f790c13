"""Registry documents built to cost a JSON parser far more memory than their size (issue 13).

A `{}` is 3 bytes of JSON and about 76 bytes once Python has built it (the dict and the list's
pointer to it), so 18 MB of `{},` became 450 MB in the server before anything looked at it.
"""

from __future__ import annotations

REPRODUCTION_COUNT = 6_000_000
"""The issue's document: 6,000,000 empty objects, 18 MB."""


def empty_servers_upstream(count: int) -> bytes:
    """`{"data":{"servers":[{},{},…]}}` with `count` empty objects (upstream format)."""
    return b'{"data":{"servers":[' + b"{}," * (count - 1) + b"{}]}}"


def empty_servers_legacy(count: int) -> bytes:
    """`{"servers":{"0":{},"1":{},…}}` with `count` empty entries (ToolHive legacy format)."""
    out = bytearray(b'{"servers":{')
    for i in range(count):
        out += b'"%d":{},' % i
    out[-1:] = b"}}"
    return bytes(out)


def empty_servers_api_page(count: int) -> bytes:
    """One MCP Registry API list page of `count` empty items: `{"servers":[{},…],…}`."""
    return b'{"servers":[' + b"{}," * (count - 1) + b'{}],"metadata":{"count":%d}}' % count
