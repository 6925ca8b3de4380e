"""Downstream science on an embeddings store: zero-shot k-NN, few-shot MLP, cross-modal
retrieval, supervised baselines, and the report (JSON, Markdown, plots) that gathers them."""

from astroclip_engine.evaluation.report import compare_stores, evaluate_store

__all__ = ["compare_stores", "evaluate_store"]
