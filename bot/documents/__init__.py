"""Word documents: the forms the bot sends and the reports it builds."""
