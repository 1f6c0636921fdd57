"""Notifications that reach people outside the app: email, Web Push and WeCom, through a
transactional outbox.

notify() (services.py) is the one door: it writes the in-app row and one outbox row per enabled
channel in the caller's transaction, so a rolled-back change never notifies and a committed one
always does. The job runner's deliver_due() (delivery.py) claims due rows, renders them in the
recipient's language (render.py), sends them through channels/ and retries with backoff; rows
that keep failing end on the dead-letter list (views.py) where staff can retry them.
"""
