"""The Telegram adapter around `retrieval`: settings, storage, handlers, rendering, harness."""
