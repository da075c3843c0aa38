"""The writer function: a product API behind API Gateway's HTTP API (payload format 2.0).

Entry point ``writer.handler.lambda_handler``. Routes and status codes are in ``writer.api``, request limits
in ``writer.validation``, the item shape and the DynamoDB access in ``writer.store``.
"""
