"""`create_app`: the dashboard's FastAPI application (REST, `/ws/events`, the static page).

Why a factory taking a `ChainClient`: the CLI connects to a node, the tests inject an embedded
chain, and neither needs HTTP to a node to build the app. Chain reads run in worker threads
(web3 calls block) behind `ChainView`'s lock; nothing here sends a transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Path as PathParam, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from fedledger import __version__
from fedledger.api.chainview import ADDRESS_PATTERN, ChainView, NotAllianceTaskError, UnknownTaskError
from fedledger.api.events import EventPoller
from fedledger.api.models import ErrorBody, Health, ReportView, RoundView, TaskDetail, TaskSummary
from fedledger.api.report import ReportSource
from fedledger.chain.client import ChainClient
from fedledger.core.errors import ChainError, ConfigError, FedledgerError, ValidationError

STATIC_DIR = Path(__file__).parent / "static"
NOT_FOUND = {404: {"model": ErrorBody}}
AddressParam = PathParam(pattern=ADDRESS_PATTERN, description="task address: 0x followed by 40 hex digits")


def create_app(
    client: ChainClient | None = None,
    factory_address: str | None = None,
    report_path: Path | None = None,
    *,
    cache_ttl_s: float = 1.0,
    poll_interval_s: float = 1.0,
) -> FastAPI:
    """The dashboard over a chain (`client` + the factory's address), a report file, or both."""
    if (client is None) != (factory_address is None):
        raise ConfigError("the dashboard needs both a chain client and a factory address, or neither")
    if poll_interval_s <= 0:
        raise ConfigError(f"poll interval must be positive, got {poll_interval_s}")
    view = ChainView(client, factory_address, cache_ttl_s) if client is not None and factory_address else None
    report = ReportSource(report_path) if report_path is not None else None
    if report is not None:
        report.load()  # fail at start, with the file's name, not on the first page load

    app = FastAPI(
        title="fedledger dashboard",
        version=__version__,
        description="Read-only view of a fedledger TaskFactory's tasks and of a finished demo's report.",
    )

    @app.exception_handler(UnknownTaskError)
    @app.exception_handler(NotAllianceTaskError)
    async def not_found(_: Request, exc: FedledgerError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(ValidationError)
    async def invalid(_: Request, exc: FedledgerError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(ChainError)
    async def chain_failed(_: Request, exc: FedledgerError) -> JSONResponse:
        return JSONResponse(status_code=502, content={"detail": f"chain read failed: {exc}"})

    @app.exception_handler(ConfigError)
    async def config_failed(_: Request, exc: FedledgerError) -> JSONResponse:
        return JSONResponse(status_code=500, content={"detail": str(exc)})

    def chain() -> ChainView:
        if view is None:
            raise HTTPException(503, "no chain configured: start the dashboard with --rpc-url and --deployment")
        return view

    @app.get("/api/health", response_model=Health)
    async def health() -> Health:
        out = Health(status="ok", report=str(report.path) if report is not None else None)
        if view is not None:
            try:
                out.chain = await run_in_threadpool(view.health)
            except ChainError as exc:
                out.status, out.chain_error = "degraded", str(exc)
        return out

    @app.get("/api/tasks", response_model=list[TaskSummary], responses={503: {"model": ErrorBody}})
    async def tasks() -> list[TaskSummary]:
        return await run_in_threadpool(chain().tasks)

    @app.get("/api/tasks/{address}", response_model=TaskDetail, responses=NOT_FOUND)
    async def task(address: str = AddressParam) -> Any:
        return await run_in_threadpool(chain().task_detail, address)

    @app.get("/api/tasks/{address}/rounds", response_model=list[RoundView], responses=NOT_FOUND)
    async def rounds(address: str = AddressParam) -> list[RoundView]:
        return await run_in_threadpool(chain().rounds, address)

    @app.get("/api/report", response_model=ReportView, responses=NOT_FOUND)
    async def get_report() -> ReportView:
        if report is None:
            raise HTTPException(404, "no report loaded: start the dashboard with --report path/to/report.json")
        return await run_in_threadpool(report.load)

    @app.websocket("/ws/events")
    async def events(websocket: WebSocket, from_block: int | None = Query(None, ge=0)) -> None:
        """Sends {"type": "hello", "block": n}, then every event mined after `n` (or from `from_block`)."""
        await websocket.accept()
        if view is None:
            await websocket.send_json({"type": "error", "detail": "no chain configured"})
            await websocket.close(code=1000)
            return
        head = await run_in_threadpool(view.block_number)
        await websocket.send_json({"type": "hello", "block": head})
        poller = EventPoller(view, head + 1 if from_block is None else from_block)

        async def pump() -> None:
            while True:
                try:
                    messages = await run_in_threadpool(poller.poll)
                except ChainError as exc:
                    messages = [{"type": "error", "detail": str(exc)}]
                for message in messages:
                    await websocket.send_json(message)
                await asyncio.sleep(poll_interval_s)

        async def until_closed() -> None:
            with contextlib.suppress(WebSocketDisconnect):
                while True:
                    await websocket.receive_text()

        pumping, closing = asyncio.create_task(pump()), asyncio.create_task(until_closed())
        done, pending = await asyncio.wait({pumping, closing}, return_when=asyncio.FIRST_COMPLETED)
        for job in pending:
            job.cancel()
        for job in done:
            if job is pumping and not job.cancelled() and job.exception() is not None:
                if not isinstance(job.exception(), (WebSocketDisconnect, RuntimeError)):
                    raise job.exception()  # type: ignore[misc]

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
