"""mmem: streaming multimodal memory.

Importing this package is cheap on purpose: no torch, no lancedb. Stages import their heavy
dependencies when they are built.

One process-wide setting is made here, because it must precede the first import of torch (or
CTranslate2), whose OpenMP runtime reads it once when it loads: OpenMP's worker threads sleep
when they run out of work instead of spinning for a while first (OMP_WAIT_POLICY=PASSIVE). On a
machine with few cores a file's decode thread (and the audio pass) runs beside torch's threads;
a spinning thread then burns a core the decoder needed while its partner waits to be scheduled.
Measured on the 2-core machine, no-audio ingest of the 109 s bench file: 53 -> 41 CPU s, the
ingest loop faster too. A value already in the environment wins (OMP_WAIT_POLICY=ACTIVE turns
it back).
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
