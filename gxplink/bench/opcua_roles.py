"""The child processes of the P3 OPC UA benchmark: the DeltaV simulator, the adapter and a bare client.

Run as `python -m gxplink.bench.opcua_roles <role> <json>` by gxplink.bench.opcua; each answers "mark"
on stdin with a JSON line of its CPU, RSS and counters, and stops on "stop" or when stdin closes.
"""


from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any, cast

from gxplink.bench.figures import rss_mb
from gxplink.bench.opcua import START_TIMEOUT


def rss_now_mb() -> float:
    return rss_mb([os.getpid()]) or peak_rss_mb()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def say(answer: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


async def serve_marks(counters: Any) -> None:
    """Answer 'mark' with the process's CPU, RSS and `counters()` until 'stop' or the end of stdin."""
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if line.strip() != "mark":
            return
        times = os.times()
        say({"cpu": time.process_time(), "cpu_system": times.system, "rss_mb": rss_now_mb(),
             "peak_rss_mb": peak_rss_mb(), **counters()})


async def simulator(args: dict[str, Any]) -> None:
    import simulators.deltav.runtime as runtime
    from simulators.common.runner import SimulatorSet

    runtime.SCAN_SECONDS = float(args["scan_seconds"])  # read by the controllers' loop at every scan
    sims = SimulatorSet(Path(args["data_dir"]), ("deltav",))
    endpoints = await sims.start()
    try:
        say({"endpoints": endpoints["sim"]})
        await serve_marks(dict)
    finally:
        await sims.stop()


async def adapter(args: dict[str, Any]) -> None:
    from pydantic import SecretStr

    from adapters.base import AdapterPorts
    from adapters.deltav.adapter import DeltaVOpcUaAdapter
    from adapters.deltav.config import DeltaVAdapterConfig
    from adapters.framework.metrics import AdapterMetrics
    from mappings.engine.catalog import load_catalog
    from messaging.connection import connect
    from messaging.publisher import Publisher
    from storage.engine import create_schema, default_url, make_engine

    data = Path(args["data_dir"])
    data.mkdir(parents=True, exist_ok=True)
    engine = make_engine(default_url(data))
    await create_schema(engine)
    nc = await connect(args["nats_url"], "bench-p3-deltav")
    auth = args["auth"]
    ports = AdapterPorts(nc=nc, js=nc.jetstream(), publisher=Publisher(nc.jetstream()), engine=engine,
                         catalog=load_catalog(), metrics=AdapterMetrics("deltav"),
                         nats_connected=lambda: nc.is_connected)
    config = DeltaVAdapterConfig(
        url=args["url"], username=auth["username"], password=SecretStr(auth["password"]),
        security_policy=auth["security_policy"], security_mode=auth["security_mode"], pki_dir=data / "pki",
        publishing_interval_ms=args["publishing_interval_ms"], sampling_interval_ms=0.0, deadband_percent=0.0)
    deltav = DeltaVOpcUaAdapter(ports, config)
    registry = ports.metrics.registry

    def counters() -> dict[str, Any]:
        return {"inbox": deltav.inbox.qsize(),
                "received": registry.get_sample_value("gxplink_messages_in_total", {"system": "deltav"}),
                "published": registry.get_sample_value("gxplink_events_published_total", {"system": "deltav"}),
                "dropped": registry.get_sample_value("gxplink_deltav_notifications_dropped_total"),
                "deadband_skipped": registry.get_sample_value("gxplink_deltav_deadband_skipped_total")}

    await deltav.start()
    try:
        await asyncio.wait_for(deltav.supervisor.ready.wait(), START_TIMEOUT)
        say({"ready": True})
        await serve_marks(counters)
    finally:
        await deltav.stop()
        await nc.close()
        await engine.dispose()


async def bare(args: dict[str, Any]) -> None:
    """A plain asyncua client: the same subscription, a handler that counts the notifications."""
    from asyncua import ua
    from asyncua.client.client import Client
    from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256

    from adapters.deltav.pki import ensure_client_certificate

    class Handler:
        changes = 0

        def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
            self.changes += 1

    auth, handler = args["auth"], Handler()
    client = Client(args["url"], timeout=10)
    uri = "urn:gxplink:bench:bare-client"
    client.application_uri = uri
    cert, key = ensure_client_certificate(Path(args["pki_dir"]), uri)
    await client.set_security(SecurityPolicyBasic256Sha256, str(cert), str(key),
                              mode=getattr(ua.MessageSecurityMode, auth["security_mode"]))
    client.set_user(auth["username"])
    client.set_password(auth["password"])
    await client.connect()
    try:
        ns = await client.get_namespace_index(args["namespace"])
        params = ua.CreateSubscriptionParameters(RequestedPublishingInterval=args["publishing_interval_ms"],
                                                 RequestedLifetimeCount=30, RequestedMaxKeepAliveCount=10,
                                                 MaxNotificationsPerPublish=0, PublishingEnabled=True, Priority=0)
        sub = await client.create_subscription(params, handler)
        nodes = [client.get_node(ua.NodeId.from_string(f"ns={ns};s={tag}")) for tag in args["tags"]]
        await sub.subscribe_data_change(nodes, queuesize=args["queue_size"],
                                        sampling_interval=cast(Any, 0.0))
        say({"ready": True})
        await serve_marks(lambda: {"changes": handler.changes})
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.disconnect(), 3)


ROLES = {"simulator": simulator, "adapter": adapter, "bare": bare}


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    role, args = sys.argv[1], json.loads(sys.argv[2])
    asyncio.run(ROLES[role](args))


if __name__ == "__main__":
    main()
