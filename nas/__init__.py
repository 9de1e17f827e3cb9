"""Proxy evaluation and baseline search."""
