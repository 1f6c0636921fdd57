"""The outbox: what should reach someone, written in the transaction of the change it tells about.

notify() (services.py) is the one door: it writes the in-app row and one outbox row per enabled
channel in the caller's transaction, so a rolled-back change never notifies and a committed one
always does. This package is a leaf below the domain packages (it imports none of them: only
its own tables, the database and the channels' settings), so every use case may call it.
Rendering and delivery read the domain and live above it, in booking/delivery: the job runner's
deliver_due() claims due rows, renders them in the recipient's language, sends them through
channels/ and retries with backoff; rows that keep failing end on the dead-letter list.
"""
