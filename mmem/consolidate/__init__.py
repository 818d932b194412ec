"""Consolidation: bounded working memory on the device -> compact long-term event records."""
