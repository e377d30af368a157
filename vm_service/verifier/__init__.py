"""The verifier: abstract interpretation of eBPF programs as Linux does it."""

from .verify import VerifierResult, verify

__all__ = ["VerifierResult", "verify"]
