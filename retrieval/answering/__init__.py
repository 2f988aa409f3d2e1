"""From a question to cited sentences: the news index, answer types, abstention, evaluation."""
