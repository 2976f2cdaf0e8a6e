"""Reading Label Studio's export JSON: the streaming reader, validation, typed views of tasks and results."""
