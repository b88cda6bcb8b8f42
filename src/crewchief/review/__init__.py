"""The morning review: the ranked queue, and what a human decision does (land, or retry)."""
