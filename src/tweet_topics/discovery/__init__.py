"""Topics found in the data: KMeans, stable ids and people's names across retrains, keywords and labels, quality
and stability."""
