"""Readers for the real AstroCLIP data formats, the mock survey, transforms and data modules."""
