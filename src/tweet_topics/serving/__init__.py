"""New messages to topics with a trained router: reading messages, predict, and the HTTP service."""
