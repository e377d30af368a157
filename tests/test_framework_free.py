"""The engine must stay framework-free: no module of vm_service may pull in Django or Channels."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs in a fresh interpreter, so modules the test process already holds cannot mask a leak.
WALK_AND_IMPORT = r"""
import importlib, json, pkgutil, sys

FORBIDDEN = ("django", "channels")

def forbidden_loaded():
    tops = {name.split(".")[0] for name in sys.modules}
    return {top for top in tops if top.startswith(FORBIDDEN)}

def fail_walk(name):
    raise ImportError(f"cannot import {name} while walking vm_service")

culprits = {}
before = forbidden_loaded()
import vm_service
imported = ["vm_service"]
for name in sorted(forbidden_loaded() - before):
    culprits[name] = "vm_service"

for info in pkgutil.walk_packages(vm_service.__path__, "vm_service.", onerror=fail_walk):
    if info.name.rsplit(".", 1)[-1] == "__main__":
        continue  # importing it runs the command line; the modules it uses are walked on their own
    before = forbidden_loaded()
    importlib.import_module(info.name)
    imported.append(info.name)
    for name in sorted(forbidden_loaded() - before):
        culprits.setdefault(name, info.name)

print(json.dumps({"imported": imported, "culprits": culprits}))
"""


def test_vm_service_imports_nothing_from_django_or_channels():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-c", WALK_AND_IMPORT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"importing the vm_service package failed:\n{proc.stderr}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])

    assert result["imported"], "no vm_service module was imported"
    leaks = [f"{module} (first imported by {culprit})" for module, culprit in result["culprits"].items()]
    assert not leaks, "vm_service must not import Django or Channels: " + ", ".join(leaks)
