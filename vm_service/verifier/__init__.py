"""The verifier: abstract interpretation of eBPF programs as Linux does it."""
