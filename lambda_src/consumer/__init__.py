"""The consumer function: reads the products table's stream and logs every change as one JSON line.

Entry point ``consumer.handler.lambda_handler``. The per-record work and how to replace it
(``RECORD_HANDLER``) are in ``consumer.records``; the DynamoDB JSON to plain JSON conversion is in
``consumer.changes``.
"""
