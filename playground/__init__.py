"""The web layer of the eBPF Playground: Django project and app in one package.

Views and consumers stay thin; the engine lives in the framework-free
``vm_service`` package.
"""
