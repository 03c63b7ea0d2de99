"""The HTTP edge of factcheck: a FastAPI app over the library's Checker. Imports factcheck, never the reverse."""
