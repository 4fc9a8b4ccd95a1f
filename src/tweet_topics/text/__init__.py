"""Tweets to text: the two views (one for the encoder, one for keywords), their lexicons and NLTK data."""
