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

numpy's OpenBLAS does the same with its own threads, read when numpy first loads: after each
matrix product its helper thread spins for up to 2^28 cycles (~0.1 s) waiting for the next one.
Ingest calls small products all the time (mel and fbank front ends, voice pooling, clustering),
so the helper spun most of the run on a core the ASR and face threads wanted.
OPENBLAS_THREAD_TIMEOUT=4 (its minimum) lets it sleep at once; the same threads split the same
products, so the sums are the same. Measured on dev day (90 s, 2 cores under load 4-5): 23.2 ->
20.7 CPU s per ingest, the same events, words and appearances.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

__version__ = "0.1.0"
