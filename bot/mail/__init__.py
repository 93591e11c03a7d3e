"""Mail in and out: parsing received .eml bytes, composing MIME for sent messages."""
