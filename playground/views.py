"""HTTP views: thin, with the engine behind ``vm_service``."""

import importlib

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "index.html")


def _engine_version() -> str | None:
    """The engine's ``__version__``, or None if it is absent or has none."""
    try:
        engine = importlib.import_module("vm_service")
    except ImportError:
        return None
    version = getattr(engine, "__version__", None)
    return str(version) if version is not None else None


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    body = {"status": "ok", "engine": "vm_service"}
    version = _engine_version()
    if version is not None:
        body["version"] = version
    return JsonResponse(body)
