"""New messages against the tweets the models were trained on: groups of new messages that no topic covers (emerging
issues), each topic's share against its training share, the handoff's rate, and the batch's drift as a whole."""
