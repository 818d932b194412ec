"""Recall: retrieve events for a question, add temporal context, answer with evidence."""
