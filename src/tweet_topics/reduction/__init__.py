"""Embeddings to the space KMeans clusters in: smoothing + PCA, PCA or UMAP, and the fit samples."""
