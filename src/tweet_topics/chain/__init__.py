"""The chain raw messages -> text views -> embeddings -> reduced -> topics, composed once: its two halves (embedding.py,
topics.py), each usable alone so that a stage depends only on the code it runs, and the whole (topic_chain.py)."""
