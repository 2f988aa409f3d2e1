"""The Telegram adapter: the PTB Application (app), its typed context, routing filters, thin handlers,
rendering to HTML, sending, delivery of pushes, and the JobQueue's jobs."""
