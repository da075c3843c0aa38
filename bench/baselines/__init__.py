"""Yardsticks the consumer is measured against in the same run."""
