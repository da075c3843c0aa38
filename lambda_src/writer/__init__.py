"""The writer function: a product API behind API Gateway's HTTP API (payload format 2.0).

Entry point ``writer.handler.lambda_handler``, the only module that reads the environment. Routes and status
codes are in ``writer.api`` (``build_api(store, idempotency=...)``), HTTP requests and responses in
``writer.http``, request limits in ``writer.validation``, the product and the store interface in
``writer.products``, the DynamoDB store and the item shape in ``writer.store``, ``Idempotency-Key``
handling in ``writer.idempotency``.
"""
