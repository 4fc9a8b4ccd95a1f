"""New messages to topics: the classifier, the manifest of a trained router, the composed pipeline, and predict."""
