"""`python -m bot` is the same as the `cspr-bot` command."""

from bot.cli import main

main()
