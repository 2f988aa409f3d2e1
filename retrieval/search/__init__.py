"""Ranking texts: BM25 over postings (rank-bm25's scores), the term index, typo lookup."""
