"""Past one machine: connecting to a Ray cluster, and the stages' and predict's work run on it with the local
engine's results."""
