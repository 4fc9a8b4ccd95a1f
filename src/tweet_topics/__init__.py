"""Discover the topics of customer-support tweets and route new messages to them."""

__version__ = "0.1.0"
