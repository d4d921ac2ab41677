"""Quality control: linters run on every submission before it is stored."""
