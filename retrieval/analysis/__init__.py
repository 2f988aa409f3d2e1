"""The analyzer chain (normalize → tokenize → stopwords → stem) that every text goes through."""
