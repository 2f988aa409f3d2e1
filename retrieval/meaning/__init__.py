"""Meaning beside the words: a sentence encoder (encoder.py), its compact storage form and the texts
an article is embedded by (vectors.py), and their use in ranking and abstention."""
