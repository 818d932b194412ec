"""Sources turn media into timestamped frames (and, later, audio chunks)."""
