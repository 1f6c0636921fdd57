"""Delivery of notifications: what reads the domain to turn an outbox row into a message.

The outbox itself (booking/notifications: notify(), the tables, each person's settings, the
channels) is a leaf every use case may call; this package sits above the domain packages:
send.deliver_due() (the job runner) claims due rows, renders them in the recipient's language
(render.py, which reads the booking, the waitlist entry or the draw) and sends them through the
channels with retries; events.py writes the messages nobody's action starts (reminders,
digests, ended suspensions, offers about to run out); services.py and views.py are the
dead-letter list and the settings pages (the blueprint keeps its name, "notifications").
"""
