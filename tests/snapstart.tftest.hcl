# SnapStart: off, nothing changes (no version, no alias, callers invoke the function); on, the writer and the
# consumer publish versions behind the alias "live", which the API, the mapping and the redrive invoke; refused
# with a runtime older than python3.12.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "cdc-snap"
}

run "off_by_default" {
  command = plan

  assert {
    condition     = length(aws_lambda_alias.live) == 0
    error_message = "Without SnapStart there must be no alias."
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.this : !f.publish && length(f.snap_start) == 0])
    error_message = "Without SnapStart no function may publish versions or set snap_start."
  }

  assert {
    condition     = aws_apigatewayv2_integration.writer[0].integration_uri == aws_lambda_function.this["writer"].invoke_arn
    error_message = "Without SnapStart the API must integrate the unqualified writer."
  }

  assert {
    condition     = aws_lambda_permission.api[0].qualifier == null
    error_message = "Without SnapStart the API's permission must be on the unqualified writer."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.function_name == aws_lambda_function.this["consumer"].arn
    error_message = "Without SnapStart the mapping must invoke the unqualified consumer."
  }

  assert {
    condition     = endswith(aws_lambda_function.this["redrive"].environment[0].variables.CONSUMER_FUNCTION, ":function:cdc-snap-consumer")
    error_message = "Without SnapStart the redrive must replay through the unqualified consumer."
  }

  assert {
    condition     = output.writer_alias_arn == null && output.consumer_alias_arn == null
    error_message = "The alias outputs must be null without SnapStart."
  }
}

run "on" {
  command = plan

  variables {
    snap_start_enabled = true
  }

  assert {
    condition     = toset(keys(aws_lambda_alias.live)) == toset(["writer", "consumer"])
    error_message = "SnapStart must give the writer and the consumer an alias each."
  }

  assert {
    condition = alltrue([
      for key, alias in aws_lambda_alias.live :
      alias.name == "live" && alias.function_name == aws_lambda_function.this[key].function_name && alias.function_version == aws_lambda_function.this[key].version
    ])
    error_message = "Each alias \"live\" must point at the version its function publishes."
  }

  assert {
    condition = alltrue([
      for key in ["writer", "consumer"] :
      aws_lambda_function.this[key].publish && aws_lambda_function.this[key].snap_start[0].apply_on == "PublishedVersions"
    ])
    error_message = "The writer and the consumer must publish versions with SnapStart on published versions."
  }

  assert {
    condition     = aws_apigatewayv2_integration.writer[0].integration_uri == aws_lambda_alias.live["writer"].invoke_arn
    error_message = "The API must integrate the writer's alias."
  }

  assert {
    condition     = endswith(aws_apigatewayv2_integration.writer[0].integration_uri, ":live/invocations")
    error_message = "The integration URI must be the alias-qualified invoke ARN."
  }

  assert {
    condition     = aws_lambda_permission.api[0].qualifier == "live" && aws_lambda_permission.api[0].function_name == aws_lambda_function.this["writer"].function_name
    error_message = "The API's permission must be on the writer's alias."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.function_name == aws_lambda_alias.live["consumer"].arn
    error_message = "The mapping must invoke the consumer's alias."
  }

  assert {
    condition     = endswith(aws_lambda_function.this["redrive"].environment[0].variables.CONSUMER_FUNCTION, ":function:cdc-snap-consumer:live")
    error_message = "The redrive must replay through the consumer's alias, as the mapping invokes it."
  }

  assert {
    condition = [
      for st in data.aws_iam_policy_document.this["redrive"].statement : st.resources if st.sid == "ReplayThroughConsumer"
    ] == [toset([aws_lambda_function.this["redrive"].environment[0].variables.CONSUMER_FUNCTION])]
    error_message = "The redrive may invoke exactly the consumer's alias (a qualified invocation needs the qualified ARN)."
  }

  assert {
    condition     = !aws_lambda_function.this["redrive"].publish && length(aws_lambda_function.this["redrive"].snap_start) == 0 && !contains(keys(aws_lambda_alias.live), "redrive")
    error_message = "The redrive, run now and then by an operator, must not use SnapStart."
  }

  assert {
    condition     = output.writer_alias_arn == aws_lambda_alias.live["writer"].arn && output.consumer_alias_arn == aws_lambda_alias.live["consumer"].arn
    error_message = "The alias outputs must name the aliases."
  }
}

run "on_with_python312_arm64_vpc_and_signing" {
  command = plan

  # SnapStart for Python supports arm64, VPC placement and code signing: none of them is refused.
  variables {
    snap_start_enabled      = true
    runtime                 = "python3.12"
    architecture            = "arm64"
    subnet_ids              = ["subnet-0123456789abcdef0"]
    security_group_ids      = ["sg-0123456789abcdef0"]
    code_signing_config_arn = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdefg"
  }

  assert {
    condition     = length(aws_lambda_alias.live) == 2
    error_message = "SnapStart must be accepted with python3.12, arm64, a VPC and code signing."
  }
}

run "on_with_own_consumer" {
  command = plan

  # The caller's consumer is invoked as given; only the module's writer gets SnapStart.
  variables {
    snap_start_enabled    = true
    consumer_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:orders-consumer"
    consumer_role_name    = "orders-consumer-role"
  }

  assert {
    condition     = keys(aws_lambda_alias.live) == ["writer"]
    error_message = "With the caller's consumer only the writer may get an alias."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.function_name == var.consumer_function_arn
    error_message = "The mapping must invoke the caller's consumer exactly as given."
  }
}

run "on_without_api" {
  command = plan

  variables {
    snap_start_enabled = true
    create_api         = false
  }

  assert {
    condition     = keys(aws_lambda_alias.live) == ["consumer"]
    error_message = "Without the API only the consumer may get an alias."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream.function_name == aws_lambda_alias.live["consumer"].arn
    error_message = "The mapping must invoke the consumer's alias."
  }
}

run "refused_with_python311" {
  command = plan

  variables {
    snap_start_enabled = true
    runtime            = "python3.11"
  }

  expect_failures = [aws_lambda_function.this]
}

run "refused_with_python310" {
  command = plan

  variables {
    snap_start_enabled = true
    runtime            = "python3.10"
  }

  expect_failures = [aws_lambda_function.this]
}

run "older_runtime_without_snap_start" {
  command = plan

  variables {
    runtime = "python3.11"
  }

  assert {
    condition     = length(aws_lambda_alias.live) == 0
    error_message = "An older runtime must be accepted while SnapStart is off."
  }
}
