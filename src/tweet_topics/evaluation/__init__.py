"""How good the topics and the router are: scores, breakdowns by brand and time, the report, and agreement with
human labels."""
