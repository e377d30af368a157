"""WebSocket URL patterns, mounted by ``playground.asgi``.

Empty until the debugger consumer exists.
"""

websocket_urlpatterns: list = []
