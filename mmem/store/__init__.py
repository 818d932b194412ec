"""Storage: LanceDB tables in one memory directory. The only package that imports lancedb."""
