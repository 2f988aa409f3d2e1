"""A conversation's text rules, pure like the rest of retrieval/: small talk told by a closed list, a
follow-up question told from a complete one, and a question packed into a button's callback data.

Each reads its words through the one analyzer chain (analysis/analyzer.py: `words`), so spelling
variants, diacritics and tatweel change nothing. None of them looks at BM25 scores or a database.
"""
