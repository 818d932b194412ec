"""`mmem batch`: whole folders (or bucket prefixes) of media into one memory.

plan.py finds the files; worker.py turns one file into events (models loaded once per worker);
writer.py is the single writer that matches people and makes each file visible in file order;
runners.py runs the workers in this process, in a local process pool, or on Ray.
"""
