"""Word documents: the forms the bot sends and the reports it builds."""

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
