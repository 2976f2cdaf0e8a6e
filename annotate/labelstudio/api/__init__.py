"""Talking to a running server: the SDK adapter (client), projects, loading tasks, predictions, exports, users."""
