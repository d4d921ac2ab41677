"""Background work: in-process on the embedded default, arq workers with Redis."""
