"""Encoders, projection heads, the AstroCLIP model and checkpoint IO."""
