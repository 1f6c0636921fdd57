"""gunicorn settings of `make run`: request size limits above the app's own (booking/inputs.py),
so that an oversized request line or header gets the app's answer (JSON under /api/) rather than
gunicorn's HTML. A request line has no gunicorn limit (0); the app refuses one past 8 KiB."""
limit_request_line = 0
limit_request_field_size = 16384
limit_request_fields = 200
