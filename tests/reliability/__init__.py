"""Reliability and security suite: faults, untrusted input, load (-> docs/reliability.md)."""
