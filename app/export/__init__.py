"""Dataset export."""
