# The writer, consumer and redrive functions, the dependency layer they share, and their log groups.

locals {
  common_environment = {
    POWERTOOLS_SERVICE_NAME      = local.service_name
    POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
    POWERTOOLS_LOG_LEVEL         = var.log_level
  }

  # What differs between the functions; names, packages, roles and log groups are looked up by the key.
  function_settings = {
    writer = {
      description                    = "HTTP API handler of ${var.name}: writes products to ${local.table_name}"
      handler                        = "writer.handler.lambda_handler"
      memory_size                    = var.writer_memory_size
      timeout                        = var.writer_timeout
      reserved_concurrent_executions = var.writer_reserved_concurrent_executions
      # Names and settings only: nothing here is a secret.
      environment = merge(
        local.common_environment,
        { TABLE_NAME = local.table_name },
        local.create_idempotency_table ? { IDEMPOTENCY_TABLE_NAME = aws_dynamodb_table.idempotency[0].name } : {},
      )
    }
    consumer = {
      description                    = "Stream consumer of ${var.name}: logs every change of ${local.table_name}"
      handler                        = "consumer.handler.lambda_handler"
      memory_size                    = var.consumer_memory_size
      timeout                        = var.consumer_timeout
      reserved_concurrent_executions = var.consumer_reserved_concurrent_executions
      environment = merge(
        local.common_environment,
        var.consumer_record_handler == null ? {} : { RECORD_HANDLER = var.consumer_record_handler },
        var.consumer_log_mode == "full" ? {} : { LOG_MODE = var.consumer_log_mode },
      )
    }
    # The redrive (redrive.tf) is a function like the others, deployed when redrive_enabled.
    redrive = local.redrive_function
  }

  # Only the functions the module creates: they drive every for_each over functions, log groups, roles and packages.
  functions = {
    for key, settings in local.function_settings : key => settings
    if(key == "writer" && local.create_writer) || (key == "consumer" && local.create_consumer) || (key == "redrive" && var.redrive_enabled)
  }

  # SnapStart serves the writer (HTTP requests) and the consumer (stream batches) the module creates; only
  # published versions have snapshots, so each gets an alias for its callers to invoke. Not the redrive: an
  # operator runs it now and then, so its cold start matters little, while Python's snapshot caching is billed
  # for as long as a version is active. Read from the create flags, not local.functions, which holds the
  # redrive's environment, which names the consumer's alias.
  snap_start_functions = toset(var.snap_start_enabled ? concat(local.create_writer ? ["writer"] : [], local.create_consumer ? ["consumer"] : []) : [])
  snap_start_alias     = "live"

  # What the API, the mapping and the redrive invoke: the live alias under SnapStart, else the function itself.
  invoked = {
    for key, function in aws_lambda_function.this : key => {
      arn        = contains(local.snap_start_functions, key) ? aws_lambda_alias.live[key].arn : function.arn
      invoke_arn = contains(local.snap_start_functions, key) ? aws_lambda_alias.live[key].invoke_arn : function.invoke_arn
      qualifier  = contains(local.snap_start_functions, key) ? aws_lambda_alias.live[key].name : null
    }
  }
}

# Created by the module rather than by Lambda on first invocation, so retention, encryption and tags apply and
# the IAM policies can name exactly this log group.
resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:retention is the caller's choice (log_retention_in_days, default 30 days; 0 keeps logs forever)
  for_each = local.functions

  name              = "/aws/lambda/${local.names[each.key]}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
  # The writer's metrics reach CloudWatch as embedded metric format lines, which only Standard log groups extract.
  log_group_class = each.key == "writer" ? "STANDARD" : var.log_group_class
  tags            = local.tags
}

# Without count before: Terraform moves the existing layer version to index 0 by itself.
resource "aws_lambda_layer_version" "dependencies" {
  count = local.create_dependencies_layer ? 1 : 0

  layer_name               = local.names.layer
  description              = "Pinned third-party packages of the ${var.name} functions (lambda_src/requirements.txt)"
  filename                 = local.packages.layer.path
  source_code_hash         = local.packages.layer.hash
  compatible_runtimes      = [var.runtime]
  compatible_architectures = [var.architecture]

  # The functions move to the new version before the old one is deleted.
  lifecycle {
    create_before_destroy = true
  }

  depends_on = [terraform_data.package["layer"]]
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:no function is invoked asynchronously, where a DLQ applies: the HTTP API invokes the writer and receives its errors, the event source mapping invokes the consumer and sends records that fail every retry to its on-failure destination, an operator invokes the redrive and reads its answer
  #checkov:skip=CKV_AWS_117:VPC placement is opt-in through subnet_ids and security_group_ids (the functions need no VPC resource)
  #checkov:skip=CKV_AWS_272:code signing is opt-in through code_signing_config_arn (it needs a signing profile of the caller's)
  #checkov:skip=CKV_AWS_173:the environment holds names only, never secrets; encrypted with kms_key_arn when set, else the AWS-managed key
  for_each = local.functions

  function_name                  = local.names[each.key]
  description                    = each.value.description
  role                           = aws_iam_role.this[each.key].arn
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  handler                        = each.value.handler
  filename                       = local.packages[each.key].path
  source_code_hash               = local.packages[each.key].hash
  layers                         = aws_lambda_layer_version.dependencies[*].arn
  memory_size                    = each.value.memory_size
  timeout                        = each.value.timeout
  reserved_concurrent_executions = each.value.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn
  code_signing_config_arn        = var.code_signing_config_arn
  publish                        = contains(local.snap_start_functions, each.key)
  tags                           = local.tags

  environment {
    variables = each.value.environment
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "vpc_config" {
    for_each = local.vpc_enabled ? [true] : []

    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = var.security_group_ids
    }
  }

  dynamic "snap_start" {
    for_each = contains(local.snap_start_functions, each.key) ? ["PublishedVersions"] : []

    content {
      apply_on = snap_start.value
    }
  }

  lifecycle {
    precondition {
      condition     = (length(var.subnet_ids) == 0) == (length(var.security_group_ids) == 0)
      error_message = "VPC placement needs both subnet_ids and security_group_ids (or neither)."
    }

    precondition {
      condition     = each.key != "consumer" || var.consumer_log_mode == "full" || var.consumer_record_handler == null
      error_message = "consumer_log_mode applies to the built-in logging, which consumer_record_handler replaces: set one or the other."
    }

    # Of what SnapStart excludes (other runtimes, container images, provisioned concurrency, EFS, ephemeral
    # storage over 512 MB), the module can only be given an older runtime.
    precondition {
      condition     = !var.snap_start_enabled || tonumber(trimprefix(var.runtime, "python3.")) >= 12
      error_message = "snap_start_enabled needs runtime python3.12 or later (SnapStart supports no older Python runtime); runtime is ${var.runtime}."
    }
  }

  # Each function needs its own package, log group and policy first. depends_on takes whole resources only, so
  # every function waits for all packages, log groups and policies: a stricter order, and no cycle, since none of
  # these refers to a function.
  depends_on = [
    terraform_data.package,
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
  ]
}

# Under SnapStart, the version the last apply published: the API, the mapping and the redrive invoke this alias, as
# $LATEST never runs from a snapshot.
resource "aws_lambda_alias" "live" {
  for_each = local.snap_start_functions

  name             = local.snap_start_alias
  description      = "The ${each.key}'s current published version (SnapStart)"
  function_name    = aws_lambda_function.this[each.key].function_name
  function_version = aws_lambda_function.this[each.key].version
}

# The functions and their log groups were separate resources per function before.
moved {
  from = aws_cloudwatch_log_group.writer
  to   = aws_cloudwatch_log_group.this["writer"]
}

moved {
  from = aws_cloudwatch_log_group.consumer
  to   = aws_cloudwatch_log_group.this["consumer"]
}

moved {
  from = aws_lambda_function.writer
  to   = aws_lambda_function.this["writer"]
}

moved {
  from = aws_lambda_function.consumer
  to   = aws_lambda_function.this["consumer"]
}
