"""Items: the units of work annotators answer, and how they are imported."""
