"""The index page, the health endpoint and the ASGI entry point."""

import importlib
import json
import sys
import types

from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.routing import ProtocolTypeRouter


def test_index_page_renders_the_title(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "<title>eBPF Playground</title>" in response.content.decode()


def test_health_reports_ok_and_the_engine(client, monkeypatch):
    monkeypatch.setitem(sys.modules, "vm_service", None)  # engine absent: import fails
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "engine": "vm_service"}


def test_health_includes_the_engine_version_when_it_has_one(client, monkeypatch):
    engine = types.ModuleType("vm_service")
    engine.__version__ = "1.2.3"
    monkeypatch.setitem(sys.modules, "vm_service", engine)
    response = client.get("/api/health")
    assert response.json() == {"status": "ok", "engine": "vm_service", "version": "1.2.3"}


def test_health_rejects_post(client):
    assert client.post("/api/health").status_code == 405


def test_asgi_application_is_a_protocol_router():
    from playground.asgi import application

    assert isinstance(application, ProtocolTypeRouter)
    assert set(application.application_mapping) == {"http", "websocket"}


def asgi_get(application, path: str) -> tuple[int, bytes]:
    """GET ``path`` through an ASGI application; return (status, body).

    Channels' HttpCommunicator fails on a final body message without a
    "body" key, which the ASGI spec allows and streamed static files send.
    """

    async def run() -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(b"host", b"localhost")],
        }
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(timeout=10)
        assert start["type"] == "http.response.start"
        body = b""
        while True:
            message = await communicator.receive_output(timeout=10)
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await communicator.wait(timeout=10)
        return start["status"], body

    return async_to_sync(run)()


def test_asgi_application_serves_health_over_http():
    from playground.asgi import application

    status, body = asgi_get(application, "/api/health")
    assert status == 200
    assert json.loads(body)["status"] == "ok"


def test_asgi_application_serves_the_stylesheet_in_development(settings):
    import playground.asgi

    settings.DEBUG = True
    try:
        application = importlib.reload(playground.asgi).application
        status, body = asgi_get(application, "/static/css/playground.css")
    finally:
        settings.DEBUG = False
        importlib.reload(playground.asgi)
    assert status == 200
    assert b"font-family" in body
