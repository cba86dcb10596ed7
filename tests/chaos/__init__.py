"""The chaos run: orders taken through their whole life while processes are killed, paused
and restarted, and the broker and the database crash; then every guarantee is checked."""
