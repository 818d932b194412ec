"""mmem: streaming multimodal memory.

Importing this package is cheap on purpose: no torch, no lancedb. Stages import their heavy
dependencies when they are built.
"""

__version__ = "0.1.0"
