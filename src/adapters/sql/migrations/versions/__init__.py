"""The revisions, oldest first; each names the one it follows."""
