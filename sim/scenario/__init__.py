"""The scenario layer: the format (schema), reading and checking files (loader, checks), offered load (traffic), variants (edit)."""
