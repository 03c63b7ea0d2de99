"""TF-IDF weights from term counts, exactly as a fitted scikit-learn `TfidfVectorizer` makes them.

For models that count terms faster than `transform` does (a per-word cache, no input checks) and
must still see exactly the features they were trained on.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize


def tfidf_from_counts(vectorizer: TfidfVectorizer, counts: sp.csr_matrix) -> sp.csr_matrix:
    """`counts` (one row per text, no duplicate entries) turned in place into the vectorizer's weights:
    its sublinear tf, idf and row norm."""
    if vectorizer.sublinear_tf:
        np.log(counts.data, out=counts.data)
        counts.data += 1
    if vectorizer.use_idf:
        counts.data *= vectorizer.idf_[counts.indices].astype(counts.dtype, copy=False)
    if vectorizer.norm:
        normalize(counts, norm=vectorizer.norm, copy=False)
    return counts
