"""Perception: frames -> per-channel feature vectors."""
