"""Comment threads on items and annotations, live for everyone viewing the item."""
