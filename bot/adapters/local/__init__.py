"""The embedded local workspace: Maildir folders, SQLite files and a document folder on disk."""
