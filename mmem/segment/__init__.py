"""Segmentation: a running surprise score cuts the stream into events."""
