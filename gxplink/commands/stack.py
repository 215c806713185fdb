"""`gxplink up` and `gxplink demo`: the whole stack, and the reference scenario on it."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from gxplink.commands.errors import friendly_errors
from gxplink.commands.options import DataDir, EndpointsFile, Secure
from gxplink.settings import Settings

console = Console(stderr=True)


class Instance(StrEnum):
    sponsor = "sponsor"
    cdmo = "cdmo"


@friendly_errors
def up(data_dir: Path | None = DataDir, endpoints_file: Path | None = EndpointsFile, secure: bool = Secure,
       instance: Instance | None = typer.Option(None, "--instance", help="Tech transfer: run as the sponsor's or "
                                                "the CDMO's instance, linked by a NATS leaf node (only "
                                                "gxp.transfer.> crosses)"),
       link: Path | None = typer.Option(None, "--link", help="CDMO instance: the sponsor's link file "
                                        "(<sponsor data dir>/transfer/link.json)")) -> None:
    """Run the stack until SIGINT/SIGTERM (embedded NATS unless GXPLINK_NATS_URL is set)."""
    settings = Settings().with_data_dir(data_dir).secured(secure)
    if instance is not None:
        settings = settings.model_copy(update={"instance": instance.value, "transfer_link": link or
                                               settings.transfer_link})
    asyncio.run(_up(settings, endpoints_file))


async def _up(settings: Settings, endpoints_file: Path | None) -> None:
    from console.server import first_login_hint
    from gxplink.bootstrap import Stack, stack_components
    from gxplink.endpoints import write_endpoints
    from gxplink.lifecycle import stop_event_on_signals
    from gxplink.runtime import Runtime

    stop = stop_event_on_signals()
    async with Runtime(settings, name="gxplink-up", components=stack_components()) as runtime:
        stack = Stack(runtime, settings.data_dir)
        try:
            endpoints = await stack.start()
            if settings.instance == "sponsor":
                from messaging.instances import sponsor_link

                endpoints["transfer_link"] = str(sponsor_link(settings.data_dir)[1])
            if endpoints_file:
                write_endpoints(endpoints_file, endpoints)
            console.print(f"gxplink is up: NATS {runtime.nats_url}, data in {settings.data_dir.resolve()}")
            if settings.instance:
                console.print(f"  {settings.instance} instance; transfer link: "
                              f"{endpoints.get('transfer_link') or settings.transfer_link}")
            if runtime.secure:
                console.print(f"  secured: per-component NATS credentials in {runtime.security.creds_dir}, "
                              f"TLS CA {runtime.security.tls.ca}")
            for name, url in endpoints.get("adapters", {}).items():
                console.print(f"  adapter {name}: {url}")
            console.print(f"  health and metrics: {endpoints['health']}")
            console.print(f"  console: {endpoints['console']}{first_login_hint(runtime.security.creds_dir)}")
            await stop.wait()
            console.print("gxplink: stopping")
        finally:
            runtime.begin_shutdown()
            await stack.stop()


@friendly_errors
def demo(
    data_dir: Path | None = DataDir,
    batch_id: str = typer.Option("CART-DEMO-0001", "--batch-id", help="Batch to run the reference scenario for"),
    secure: bool = Secure,
    endpoints_file: Path | None = EndpointsFile,
    sign_in_console: bool = typer.Option(False, "--sign-in-console", help="Leave the release signature to a "
                                         "person: QA signs the task in the web console"),
) -> None:
    """Run the reference CAR-T scenario end to end on the embedded stack."""
    from gxplink import reference_demo as demo_scenario

    asyncio.run(demo_scenario.run(Settings().with_data_dir(data_dir).secured(secure), batch_id, Console(),
                                  endpoints_file=endpoints_file, sign_in_console=sign_in_console))
