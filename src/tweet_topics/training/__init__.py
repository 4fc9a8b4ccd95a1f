"""What training fits beside the topics: the classifier and its calibration, the handoff's out-of-topic scorer, and
the manifest that ties a trained router's artifacts together."""
