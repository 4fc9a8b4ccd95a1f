"""Topics found in the data: KMeans, stable ids and people's names across retrains, c-TF-IDF descriptions, and the
topics' breakdowns by brand and over time."""
