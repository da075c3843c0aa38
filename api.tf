# The HTTP API (API Gateway v2, payload format 2.0) in front of the writer function; none of it when create_api is
# false. The single resources had no count before: Terraform moves each existing object to index 0 by itself.

locals {
  # The four product routes, plus an ANY route per path: API Gateway prefers a route with the request's method,
  # so the ANY routes see only methods the path does not serve, and the writer answers those with 405 and
  # an Allow header instead of API Gateway's bare 404.
  routes = toset([
    "POST /products", "GET /products/{id}", "PUT /products/{id}", "DELETE /products/{id}",
    "ANY /products", "ANY /products/{id}",
  ])
}

resource "aws_apigatewayv2_api" "this" {
  count = local.create_writer ? 1 : 0

  name          = local.names.api
  description   = "Products API of ${var.name}"
  protocol_type = "HTTP"
  tags          = local.tags

  dynamic "cors_configuration" {
    for_each = var.cors == null ? [] : [var.cors]

    content {
      allow_origins     = cors_configuration.value.allow_origins
      allow_methods     = cors_configuration.value.allow_methods
      allow_headers     = cors_configuration.value.allow_headers
      expose_headers    = cors_configuration.value.expose_headers
      allow_credentials = cors_configuration.value.allow_credentials
      max_age           = cors_configuration.value.max_age
    }
  }
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  count = local.create_writer && var.authorization_type == "JWT" ? 1 : 0

  api_id           = aws_apigatewayv2_api.this[0].id
  name             = "${var.name}-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = var.jwt_audience
  }

  lifecycle {
    precondition {
      condition     = var.jwt_issuer != null && length(var.jwt_audience) > 0
      error_message = "authorization_type JWT needs jwt_issuer (an https:// URL) and at least one jwt_audience."
    }
  }
}

resource "aws_apigatewayv2_integration" "writer" {
  count = local.create_writer ? 1 : 0

  api_id                 = aws_apigatewayv2_api.this[0].id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = local.invoked["writer"].invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "writer" {
  for_each = local.create_writer ? local.routes : toset([])

  api_id             = aws_apigatewayv2_api.this[0].id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.writer[0].id}"
  authorization_type = var.authorization_type
  authorizer_id      = one(aws_apigatewayv2_authorizer.jwt[*].id)
}

resource "aws_cloudwatch_log_group" "api_access" {
  #checkov:skip=CKV_AWS_338:retention is the caller's choice (log_retention_in_days, default 30 days; 0 keeps logs forever)
  count = local.create_writer ? 1 : 0

  name              = local.names.api_log_group
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
  # No metric filter reads the access log: it can be stored at the cheaper rate.
  log_group_class = var.log_group_class
  tags            = local.tags
}

resource "aws_apigatewayv2_stage" "default" {
  count = local.create_writer ? 1 : 0

  api_id      = aws_apigatewayv2_api.this[0].id
  name        = "$default"
  auto_deploy = true
  tags        = local.tags

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access[0].arn
    format = jsonencode({
      requestId          = "$context.requestId"
      requestTime        = "$context.requestTime"
      ip                 = "$context.identity.sourceIp"
      httpMethod         = "$context.httpMethod"
      routeKey           = "$context.routeKey"
      path               = "$context.path"
      status             = "$context.status"
      protocol           = "$context.protocol"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationStatus  = "$context.integrationStatus"
      integrationLatency = "$context.integrationLatency"
      errorMessage       = "$context.error.message"
      authorizerError    = "$context.authorizer.error"
    })
  }
}

# Only this API (any stage, any route) may invoke the writer.
resource "aws_lambda_permission" "api" {
  count = local.create_writer ? 1 : 0

  statement_id  = "AllowInvokeFromHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["writer"].function_name
  qualifier     = local.invoked["writer"].qualifier
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this[0].execution_arn}/*/*"
}
