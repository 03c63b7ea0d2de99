"""Training of the models shipped in models/: library functions the `factcheck train` commands call."""
