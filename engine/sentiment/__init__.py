"""Sentiment: news headline scoring with FinBERT or a finance lexicon."""
