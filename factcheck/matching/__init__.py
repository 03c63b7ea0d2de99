"""Stage 3, claim matching: a retrieval cascade (BM25 + sentence vectors, fused), a learned re-ranker and
calibrated probabilities. See `matcher.py` for the cascade and `models/matcher/CARD.md` for its figures.
"""

from factcheck.matching.embeddings import VectorCache
from factcheck.matching.matcher import Candidate, IndexEntry, Matcher, entries_from_debunks
from factcheck.matching.text import clean_query

__all__ = ["Candidate", "IndexEntry", "Matcher", "VectorCache", "clean_query", "entries_from_debunks"]
