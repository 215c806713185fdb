"""The LIMS simulator: an HL7 v2.5.1 MLLP listener for orders and audit queries, and an MLLP client
that reports results.

Endpoint: `mllp://<host>:<port>`. Faults in this protocol: latency delays every ACK/RSP and every
outbound send; down closes the listener and every open connection (connection refused until up, same
port) and pauses outbound delivery; error answers AE + ERR 207 "simulated fault"; malformed sends an
ACK/ORU with MSH cut after MSH-4 or without MLLP envelope; duplicate sends an ORU twice with the same
MSH-10; clock skew shifts MSH-7, OBR-7/22, OBX-14 and the audit trail (all from ctx.clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from simulators.common.base import Action, SimContext, Simulator
from simulators.lims import mllp
from simulators.lims.acks import Hl7Error
from simulators.lims.actions import LimsActions
from simulators.lims.hl7v2 import parse
from simulators.lims.inbound import Inbound, peer_of
from simulators.lims.lab import Lab
from simulators.lims.malformed import garble
from simulators.lims.outbound import Outbox
from simulators.lims.store import LimsStore

log = logging.getLogger(__name__)
IDLE_TIMEOUT = 300.0  # a connection that sends no complete frame for this long is closed


class LimsSimulator(Simulator):
    system = "lims"

    def __init__(self, ctx: SimContext) -> None:
        super().__init__(ctx)
        self.store = LimsStore(ctx.data_dir)
        self.outbox = Outbox(self.store, ctx)
        self.lab = Lab(self.store, ctx, self.outbox)
        self.inbound = Inbound(self.store, ctx, self.lab)
        self._actions = LimsActions(self.store, ctx, self.lab, self.outbox)
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()
        self._worker: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"mllp://{self.ctx.host}:{self.port}"

    async def listen(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._connection, self.ctx.host, self.port,
                                                  limit=mllp.MAX_FRAME_BYTES, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for writer in list(self._clients):
            writer.close()
        await server.wait_closed()

    async def start(self) -> None:
        await super().start()
        self._worker = asyncio.get_running_loop().create_task(self.outbox.run(), name="lims-outbox")
        self.lab.resume()

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        await self.lab.stop()
        await super().stop()

    def actions(self) -> dict[str, Action]:
        return self._actions.all()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            while True:
                try:
                    frame = await mllp.read_frame(reader, IDLE_TIMEOUT)
                except mllp.FrameTooLarge as exc:
                    peer = peer_of(parse(exc.prefix.lstrip(mllp.VT).decode("latin-1")))
                    await self._send(writer, self.inbound.nak(peer, [Hl7Error("207", str(exc), ("MSH", 1))]))
                    if not await mllp.skip_frame(reader, IDLE_TIMEOUT):
                        break
                    continue
                except TimeoutError:
                    break
                if frame is None:
                    break
                try:
                    reply = self.inbound.answer(frame)
                except Exception:  # the interface must outlive any one message
                    log.exception("LIMS could not process a message")
                    reply = self.inbound.nak(peer_of(parse(frame.text())), [Hl7Error("207", "internal error")], "AE")
                if reply is not None:
                    await self._send(writer, reply)
        except (ConnectionError, OSError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()

    async def _send(self, writer: asyncio.StreamWriter, reply: str) -> None:
        await self.ctx.faults.delay()
        payload = reply.encode()
        faults = self.ctx.faults
        writer.write(garble(payload, faults.random.randrange(2)) if faults.malformed() else mllp.wrap(payload))
        await writer.drain()
