"""Consolidation: bounded working memory -> compact long-term event records."""
