"""The what-if page's web server: a small Starlette (ASGI) app run by uvicorn, on 127.0.0.1 only.

Starlette and uvicorn are small, well kept and asynchronous, with no front-end build and nothing fetched
from a CDN: the page is one HTML file, one stylesheet and one script served from this package, and the
charts are SVG drawn by that script from the numbers the server sends.  A request's simulation runs on a
worker thread, so one slow what-if does not stop the server answering others (or its status).
"""

from __future__ import annotations

import json
import socket
from importlib import resources

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from orgsim.app.service import Service, problems
from orgsim.errors import OptionError, ScenarioError

HOST = "127.0.0.1"
MAX_BODY = 6 * 1024 * 1024  # an upload of the largest scenario file the loader accepts, with room for JSON


def _static() -> str:
    return str(resources.files("orgsim.app") / "static")


async def _body(request: Request) -> dict:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise OptionError("request", f"is {len(raw)} bytes; at most {MAX_BODY} are read")
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise OptionError("request", "is not JSON") from None
    if not isinstance(data, dict):
        raise OptionError("request", "must be a JSON object")
    return data


def _answer(work):
    """An endpoint that runs *work(service, body)* on a worker thread; a validation problem is a 200 with ``ok: false``."""

    async def endpoint(request: Request):
        service: Service = request.app.state.service
        try:
            body = await _body(request)
            result = await run_in_threadpool(work, service, body, request.path_params)
        except (ScenarioError, OptionError) as exc:
            return JSONResponse({"ok": False, "problems": problems(exc)})
        if isinstance(result, Response):
            return result
        return JSONResponse(result)

    return endpoint


def _download(service: Service, body: dict, params: dict) -> Response:
    name, media, text = service.download(params["kind"], body)
    return Response(text, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def _index(request: Request):
    return FileResponse(f"{_static()}/index.html", headers={"Cache-Control": "no-store"})


async def _status(request: Request):
    return JSONResponse(request.app.state.service.status())


def create_app(service: Service) -> Starlette:
    """The ASGI app over *service*; only requests addressed to this machine are answered."""
    routes = [
        Route("/", _index),
        Route("/api/status", _status),
        Route("/api/scenario", _answer(lambda s, b, p: {"ok": True, **s.scenario(b)}), methods=["POST"]),
        Route("/api/whatif", _answer(lambda s, b, p: s.whatif(b)), methods=["POST"]),
        Route("/api/classroom", _answer(lambda s, b, p: {"ok": True, **s.classroom(b)}), methods=["POST"]),
        Route("/api/download/{kind}", _answer(_download), methods=["POST"]),
        Mount("/static", StaticFiles(directory=_static()), name="static"),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=[HOST, "localhost"])]  # no DNS rebinding
    app = Starlette(routes=routes, middleware=middleware)
    app.state.service = service
    return app


def listening_socket(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1 (*port* 0: a free one), already listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise OptionError("port", f"{port} cannot be used on {HOST}: {exc.strerror}") from None
    sock.listen(128)
    return sock


def serve(scenario: str | None, port: int = 0, open_browser: bool = False, say=print) -> None:
    """Serve the page until interrupted; *say* is told the address once it is listening."""
    import matplotlib

    matplotlib.use("Agg")  # the HTML report's figures are drawn on worker threads, never on a screen
    import uvicorn

    service = Service(scenario)
    sock = listening_socket(port)
    url = f"http://{HOST}:{sock.getsockname()[1]}/"
    server = uvicorn.Server(uvicorn.Config(create_app(service), log_level="warning", lifespan="off"))
    say(f"orgsim app: {url}  (scenario {service.sources.initial}; Ctrl-C stops)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.run(sockets=[sock])
    finally:
        service.warmup.stop()
        sock.close()
