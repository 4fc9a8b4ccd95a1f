"""Text handling for tweets: cleaning, tokens, stopwords, lemmas."""
