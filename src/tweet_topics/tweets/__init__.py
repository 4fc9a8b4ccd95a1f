"""The customers' tweets: ingest (inbound rows, quarantine, splits) and prepare (typed records, brand)."""
