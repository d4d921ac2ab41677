"""Review: layered review stages after annotation, with decisions that reach the contributor at once."""
