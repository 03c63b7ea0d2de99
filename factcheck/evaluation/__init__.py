"""Quality measurements of each stage on public datasets, one module per task."""
