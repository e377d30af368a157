"""Settings read from the environment, each case in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SHOW_SETTINGS = r"""
import json, sys
from playground import settings
print(json.dumps({
    "debug": settings.DEBUG,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "secret_key": settings.SECRET_KEY,
    "channel_backend": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "channel_config": settings.CHANNEL_LAYERS["default"].get("CONFIG"),
    "channels_redis_imported": "channels_redis" in sys.modules,
}))
"""


def load_settings(**env_vars: str) -> dict:
    names = ("PLAYGROUND_", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(names)}
    env.update(env_vars)
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(proc.stdout)


def test_defaults_are_for_development():
    loaded = load_settings()
    assert loaded["debug"] is True
    assert loaded["allowed_hosts"] == ["localhost", "127.0.0.1", "[::1]"]
    assert loaded["channel_backend"] == "channels.layers.InMemoryChannelLayer"


def test_environment_overrides_debug_secret_key_and_hosts():
    loaded = load_settings(
        PLAYGROUND_DEBUG="0",
        PLAYGROUND_SECRET_KEY="from-the-environment",
        PLAYGROUND_ALLOWED_HOSTS="ebpf.example, play.example",
    )
    assert loaded["debug"] is False
    assert loaded["secret_key"] == "from-the-environment"
    assert loaded["allowed_hosts"][-2:] == ["ebpf.example", "play.example"]


def test_redis_url_selects_channels_redis_without_importing_it():
    loaded = load_settings(REDIS_URL="redis://127.0.0.1:6379/0")
    assert loaded["channel_backend"] == "channels_redis.core.RedisChannelLayer"
    assert loaded["channel_config"] == {"hosts": ["redis://127.0.0.1:6379/0"]}
    assert loaded["channels_redis_imported"] is False
