"""One module per scheduled job. Handlers are plain functions: `now` and ports in, a report out.
They never import adapters and leave every decision to `bot.domain`."""
