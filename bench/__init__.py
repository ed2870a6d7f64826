"""The retrieval benchmark: citebot's BM25 against rank-bm25 and bm25s. Run it with `python -m bench`."""
