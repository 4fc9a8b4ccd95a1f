"""How good the topics and the router are: the classifier's scores, cluster quality and end-to-end stability, the
handoff's checks, the report, and agreement with human labels."""
