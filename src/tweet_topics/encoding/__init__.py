"""Texts to vectors: the encoder spec and model, fixed-shape batches, tokens, int8 ONNX, the cache."""
