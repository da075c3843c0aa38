# Values the mocked AWS provider returns, shaped like AWS's so that validations and assertions see realistic data.
# override_during = plan makes them known at plan time, which is when the tests assert.

mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
  override_during = plan
}

# An existing table (existing_table_name) the module can attach to: stream on with both images, keys PK and SK.
mock_data "aws_dynamodb_table" {
  defaults = {
    arn              = "arn:aws:dynamodb:us-east-1:123456789012:table/existing"
    stream_arn       = "arn:aws:dynamodb:us-east-1:123456789012:table/existing/stream/2025-06-01T00:00:00.000"
    stream_enabled   = true
    stream_view_type = "NEW_AND_OLD_IMAGES"
    hash_key         = "PK"
    range_key        = "SK"
    attribute        = [{ name = "PK", type = "S" }, { name = "SK", type = "S" }]
  }
  override_during = plan
}

mock_resource "aws_dynamodb_table" {
  defaults = {
    arn        = "arn:aws:dynamodb:us-east-1:123456789012:table/mock"
    stream_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/mock/stream/2026-01-01T00:00:00.000"
  }
  override_during = plan
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:us-east-1:123456789012:mock-consumer-failures"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/mock-consumer-failures"
  }
  override_during = plan
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:mock"
  }
  override_during = plan
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/mock"
  }
  override_during = plan
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn        = "arn:aws:lambda:us-east-1:123456789012:function:mock"
    invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:mock/invocations"
  }
  override_during = plan
}

mock_resource "aws_lambda_layer_version" {
  defaults = {
    arn = "arn:aws:lambda:us-east-1:123456789012:layer:mock:1"
  }
  override_during = plan
}

mock_resource "aws_apigatewayv2_api" {
  defaults = {
    id            = "a1b2c3d4e5"
    api_endpoint  = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
    execution_arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"
  }
  override_during = plan
}

mock_resource "aws_apigatewayv2_integration" {
  defaults = {
    id = "int1234"
  }
  override_during = plan
}

mock_resource "aws_apigatewayv2_authorizer" {
  defaults = {
    id = "auth123"
  }
  override_during = plan
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn    = "arn:aws:s3:::mock-failures-20260101000000000000000001"
    bucket = "mock-failures-20260101000000000000000001"
    id     = "mock-failures-20260101000000000000000001"
  }
  override_during = plan
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:us-east-1:123456789012:mock-consumer-failures"
  }
  override_during = plan
}

mock_resource "aws_lambda_event_source_mapping" {
  defaults = {
    uuid = "a1b2c3d4-5678-90ab-cdef-111111111111"
  }
  override_during = plan
}

mock_resource "aws_cloudwatch_metric_alarm" {
  defaults = {
    arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:mock"
  }
  override_during = plan
}

mock_resource "aws_apigatewayv2_stage" {
  defaults = {
    arn = "arn:aws:apigateway:us-east-1::/apis/a1b2c3d4e5/stages/$default"
  }
  override_during = plan
}

mock_resource "aws_s3_bucket_lifecycle_configuration" {
  defaults        = {}
  override_during = plan
}

mock_resource "aws_lambda_alias" {
  defaults = {
    arn        = "arn:aws:lambda:us-east-1:123456789012:function:mock:live"
    invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:mock:live/invocations"
  }
  override_during = plan
}
