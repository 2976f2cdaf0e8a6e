"""Running the server: starting and stopping Label Studio, its database, backups and restores,
doctor, annotate's settings."""
