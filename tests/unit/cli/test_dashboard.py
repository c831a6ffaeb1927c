"""Reports a person looks at, progress of long work, and the dashboard command's port handling."""

from __future__ import annotations

import socket

import pytest


def test_a_busy_port_is_refused_with_the_fix() -> None:
    from portable_mlops.cli.dashboard import DashboardError, choose_port

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(DashboardError, match=rf"port {port} on 127.0.0.1 is in use.*DASHBOARD_PORT=<port>"):
            choose_port(port, 8237, "DASHBOARD_PORT", "make dashboard")
        chosen = choose_port(None, port, "DASHBOARD_PORT", "make dashboard")  # default taken: another one
        assert chosen != port
    with pytest.raises(DashboardError, match="not a TCP port"):
        choose_port(70000, 8237, "DASHBOARD_PORT", "make dashboard")
