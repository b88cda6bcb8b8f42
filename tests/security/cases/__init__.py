"""One module per weakness class; see tests/security/corpus.py."""
