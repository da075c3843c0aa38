# ---------------------------------------------------------------------------------------------------------------------
# Naming and tags
# ---------------------------------------------------------------------------------------------------------------------

variable "name" {
  description = "Prefix of every named resource (table, functions, roles, queue, API, log groups); unique per account and region."
  type        = string

  validation {
    # The longest derived name, "<name>-dependencies", must stay within Lambda's 64-character layer name limit.
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,31}$", var.name)) && !endswith(var.name, "-")
    error_message = "name must be 1-32 characters: letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "tags" {
  description = "Tags applied to every taggable resource the module creates."
  type        = map(string)
  default     = {}

  validation {
    condition = length(var.tags) <= 50 && alltrue([
      for key, value in var.tags : length(key) >= 1 && length(key) <= 128 && length(value) <= 256 && !startswith(lower(key), "aws:")
    ])
    error_message = "tags must hold at most 50 tags, keys 1-128 characters not starting with \"aws:\", values at most 256 characters."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# What the module creates (reuse in a stack that already has some of the pieces)
# ---------------------------------------------------------------------------------------------------------------------

variable "create_api" {
  description = "Create the HTTP API and its writer function (with role, policy, log group) and the idempotency table; false attaches only the consumer side to the table."
  type        = bool
  default     = true
}

variable "existing_table_name" {
  description = "Name of an existing table to attach the consumer to instead of creating one; its stream must be on with a view type holding what stream_view_type asks for, and with create_api it needs string keys PK and SK. The table settings (billing, capacity, TTL, recovery, encryption) are then the table owner's; if it uses a customer-managed key, pass it as kms_key_arn. Must be known at plan (a literal, or the name argument of an aws_dynamodb_table); null creates the table."
  type        = string
  default     = null

  validation {
    condition     = var.existing_table_name == null || can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.existing_table_name))
    error_message = "existing_table_name must be null or a DynamoDB table name: 3-255 characters of letters, digits, underscores, dots and hyphens."
  }
}

variable "consumer_function_arn" {
  description = "ARN of the caller's own Lambda function to invoke with the stream's batches instead of the module's consumer (then consumer_role_name is required); null creates the module's consumer. May be known only after apply."
  type        = string
  default     = null

  validation {
    # An unqualified ARN, or one with a version or alias qualifier.
    condition     = var.consumer_function_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[a-zA-Z0-9_-]{1,64}(:(\\$LATEST|[a-zA-Z0-9_-]{1,128}))?$", var.consumer_function_arn))
    error_message = "consumer_function_arn must be null or a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>, optionally followed by :<version or alias>)."
  }
}

variable "consumer_role_name" {
  description = "Name (not ARN) of the execution role of consumer_function_arn; the module attaches to it a policy that reads the table's stream and sends to the on-failure destination. Required with consumer_function_arn, null otherwise; must be known at plan (a literal, or the name argument of an aws_iam_role), since it decides what the module creates."
  type        = string
  default     = null

  validation {
    condition     = var.consumer_role_name == null || can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.consumer_role_name))
    error_message = "consumer_role_name must be null or an IAM role name: 1-64 characters of letters, digits and + = , . @ _ - (the name, not the role's ARN)."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Table
# ---------------------------------------------------------------------------------------------------------------------

variable "billing_mode" {
  description = "Table billing mode: PAY_PER_REQUEST (on demand) or PROVISIONED (then read_capacity and write_capacity apply)."
  type        = string
  default     = "PAY_PER_REQUEST"

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "read_capacity" {
  description = "Provisioned read capacity units of the table; used only when billing_mode is PROVISIONED."
  type        = number
  default     = 5

  validation {
    condition     = var.read_capacity >= 1 && floor(var.read_capacity) == var.read_capacity
    error_message = "read_capacity must be a whole number of at least 1."
  }
}

variable "write_capacity" {
  description = "Provisioned write capacity units of the table; used only when billing_mode is PROVISIONED."
  type        = number
  default     = 5

  validation {
    condition     = var.write_capacity >= 1 && floor(var.write_capacity) == var.write_capacity
    error_message = "write_capacity must be a whole number of at least 1."
  }
}

variable "stream_view_type" {
  description = "What the table's stream records hold for each change: KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES. With existing_table_name, what the consumer needs: the table's stream must hold it (NEW_AND_OLD_IMAGES holds every other)."
  type        = string
  default     = "NEW_AND_OLD_IMAGES"

  validation {
    condition     = contains(["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"], var.stream_view_type)
    error_message = "stream_view_type must be one of KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES."
  }
}

variable "point_in_time_recovery_enabled" {
  description = "Continuous backups (point-in-time recovery) of the products and idempotency tables."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the tables, the on-failure destination (bucket, queue or topic), the log groups, the functions' environment variables and the mapping's filter criteria; null uses AWS-managed encryption. The key policy must allow the CloudWatch Logs service principal (and sns.amazonaws.com for an SNS destination, lambda.amazonaws.com for filter criteria)."
  type        = string
  default     = null

  validation {
    # A key ARN, not an alias: CloudWatch Logs accepts only key ARNs, and IAM policies name the key itself.
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id or mrk- id>), not an alias or another service's ARN."
  }
}

variable "ttl_attribute_name" {
  description = "Item attribute holding an epoch-seconds expiry time for DynamoDB TTL; null leaves TTL off."
  type        = string
  default     = null

  validation {
    condition     = var.ttl_attribute_name == null || can(regex("^.{1,255}$", var.ttl_attribute_name))
    error_message = "ttl_attribute_name must be null or 1-255 characters long."
  }
}

variable "deletion_protection_enabled" {
  description = "Refuse to delete the products table (and the idempotency table) until this is turned off."
  type        = bool
  default     = false
}

variable "idempotency_enabled" {
  description = "Create the Powertools idempotency table and give the writer its name (IDEMPOTENCY_TABLE_NAME), so retried requests are not applied twice."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------------------------------------------------
# Functions and packaging
# ---------------------------------------------------------------------------------------------------------------------

variable "runtime" {
  description = "Lambda Python runtime of both functions; the dependency layer is built for the same Python version."
  type        = string
  default     = "python3.13"

  validation {
    condition     = contains(["python3.10", "python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be one of python3.10, python3.11, python3.12, python3.13."
  }
}

variable "architecture" {
  description = "Instruction set of both functions and of the dependency layer's native wheels: arm64 or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "build_python" {
  description = "Command (with arguments, space-separated) of the Python 3.9+ with pip that builds the packages during apply; the byte code is compiled by a Python of the runtime's version: this one if it is, else python3.X on PATH or in pyenv."
  type        = string
  default     = "python3"

  validation {
    condition     = length(trimspace(var.build_python)) > 0
    error_message = "build_python must be a non-empty command, for example python3."
  }
}

variable "build_dir" {
  description = "Directory the packages are written to, each named after the sha256 of its inputs; null means .build/lambda under the root module."
  type        = string
  default     = null

  validation {
    condition     = var.build_dir == null || try(length(trimspace(var.build_dir)) > 0, false)
    error_message = "build_dir must be null or a non-blank directory path."
  }
}

variable "log_level" {
  description = "POWERTOOLS_LOG_LEVEL of both functions: DEBUG, INFO, WARNING, ERROR or CRITICAL."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.log_level)
    error_message = "log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
  }
}

variable "service_name" {
  description = "POWERTOOLS_SERVICE_NAME of both functions; null uses var.name."
  type        = string
  default     = null

  validation {
    condition     = var.service_name == null || try(length(trimspace(var.service_name)) > 0, false)
    error_message = "service_name must be null or a non-blank string."
  }
}

variable "metrics_namespace" {
  description = "POWERTOOLS_METRICS_NAMESPACE of both functions; null uses var.name."
  type        = string
  default     = null

  validation {
    # CloudWatch's namespace rules; "AWS/" is reserved for AWS services.
    condition     = var.metrics_namespace == null || try(can(regex("^[A-Za-z0-9._/#: -]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/"), false)
    error_message = "metrics_namespace must be null or 1-255 characters of letters, digits, spaces and . - _ / # :, not starting with \"AWS/\"."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the functions' and the API's log groups, in days (0 keeps logs forever)."
  type        = number
  default     = 30

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing mode of both functions: Active (sample and trace) or PassThrough."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "writer_memory_size" {
  description = "Memory of the writer function in MB."
  type        = number
  default     = 256

  validation {
    condition     = var.writer_memory_size >= 128 && var.writer_memory_size <= 10240 && floor(var.writer_memory_size) == var.writer_memory_size
    error_message = "writer_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "writer_timeout" {
  description = "Timeout of the writer function in seconds; the HTTP API gives up after 30 s."
  type        = number
  default     = 10

  validation {
    condition     = var.writer_timeout >= 1 && var.writer_timeout <= 900 && floor(var.writer_timeout) == var.writer_timeout
    error_message = "writer_timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "writer_reserved_concurrent_executions" {
  description = "Reserved concurrency of the writer function; null leaves it unreserved."
  type        = number
  default     = null

  validation {
    condition     = var.writer_reserved_concurrent_executions == null || try(var.writer_reserved_concurrent_executions >= 0 && floor(var.writer_reserved_concurrent_executions) == var.writer_reserved_concurrent_executions, false)
    error_message = "writer_reserved_concurrent_executions must be null or a whole number of at least 0."
  }
}

variable "consumer_memory_size" {
  description = "Memory of the consumer function in MB."
  type        = number
  default     = 256

  validation {
    condition     = var.consumer_memory_size >= 128 && var.consumer_memory_size <= 10240 && floor(var.consumer_memory_size) == var.consumer_memory_size
    error_message = "consumer_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "consumer_timeout" {
  description = "Timeout of the consumer function in seconds (one invocation handles one batch)."
  type        = number
  default     = 30

  validation {
    condition     = var.consumer_timeout >= 1 && var.consumer_timeout <= 900 && floor(var.consumer_timeout) == var.consumer_timeout
    error_message = "consumer_timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "consumer_reserved_concurrent_executions" {
  description = "Reserved concurrency of the consumer function; null leaves it unreserved."
  type        = number
  default     = null

  validation {
    condition     = var.consumer_reserved_concurrent_executions == null || try(var.consumer_reserved_concurrent_executions >= 0 && floor(var.consumer_reserved_concurrent_executions) == var.consumer_reserved_concurrent_executions, false)
    error_message = "consumer_reserved_concurrent_executions must be null or a whole number of at least 0."
  }
}

variable "consumer_record_handler" {
  description = "Optional \"module:function\" (RECORD_HANDLER) the consumer calls for each stream record instead of its built-in logging; null keeps the built-in one."
  type        = string
  default     = null

  validation {
    condition     = var.consumer_record_handler == null || can(regex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$", var.consumer_record_handler))
    error_message = "consumer_record_handler must be null or \"module:function\" with a dotted Python module path, for example my_records.handler:handle."
  }
}

variable "consumer_log_mode" {
  description = "What the built-in consumer logs for each change: \"full\" (the record with its whole images) or \"changes\" (a MODIFY with only the attributes that changed, old and new, instead of both images: smaller lines at volume). Not with consumer_record_handler, which replaces the built-in logging."
  type        = string
  default     = "full"

  validation {
    condition     = contains(["full", "changes"], var.consumer_log_mode)
    error_message = "consumer_log_mode must be \"full\" or \"changes\"."
  }
}

variable "consumer_extra_source_dir" {
  description = "Optional directory whose files are added at the root of the consumer's code package (for the module named in consumer_record_handler)."
  type        = string
  default     = null

  validation {
    # fileset() of a missing directory is empty: a typo in the path would otherwise ship a package without the module.
    condition     = var.consumer_extra_source_dir == null || try(length(fileset(var.consumer_extra_source_dir, "**")) > 0, false)
    error_message = "consumer_extra_source_dir must be null or a directory holding at least one file."
  }
}

variable "subnet_ids" {
  description = "Subnets the functions run in (VPC placement, together with security_group_ids); empty keeps them outside any VPC. The writer needs a route to DynamoDB and both functions one to X-Ray (VPC endpoints or NAT)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.subnet_ids) <= 16 && alltrue([for id in var.subnet_ids : can(regex("^subnet-([0-9a-f]{8}|[0-9a-f]{17})$", id))])
    error_message = "subnet_ids must hold at most 16 subnet IDs, each \"subnet-\" followed by 8 or 17 lowercase hex digits."
  }
}

variable "security_group_ids" {
  description = "Security groups of the functions' network interfaces when subnet_ids is set; required with it."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.security_group_ids) <= 5 && alltrue([for id in var.security_group_ids : can(regex("^sg-([0-9a-f]{8}|[0-9a-f]{17})$", id))])
    error_message = "security_group_ids must hold at most 5 security group IDs, each \"sg-\" followed by 8 or 17 lowercase hex digits."
  }
}

variable "code_signing_config_arn" {
  description = "Lambda code signing configuration both functions are deployed with; null deploys unsigned packages."
  type        = string
  default     = null

  validation {
    condition     = var.code_signing_config_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:code-signing-config:csc-[a-z0-9]{17}$", var.code_signing_config_arn))
    error_message = "code_signing_config_arn must be null or a Lambda code signing configuration ARN (arn:<partition>:lambda:<region>:<account>:code-signing-config:csc-<17 characters>)."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Event source mapping (table stream -> consumer)
# ---------------------------------------------------------------------------------------------------------------------

variable "event_source_mapping_enabled" {
  description = "Whether the mapping polls the stream; false pauses delivery to the consumer without deleting the mapping."
  type        = bool
  default     = true
}

variable "batch_size" {
  description = "Largest number of stream records in one consumer invocation."
  type        = number
  default     = 100

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000 && floor(var.batch_size) == var.batch_size
    error_message = "batch_size must be a whole number from 1 to 10000."
  }
}

variable "maximum_batching_window_in_seconds" {
  description = "Longest time, in seconds, the mapping gathers records before invoking the consumer."
  type        = number
  default     = 0

  validation {
    condition     = var.maximum_batching_window_in_seconds >= 0 && var.maximum_batching_window_in_seconds <= 300 && floor(var.maximum_batching_window_in_seconds) == var.maximum_batching_window_in_seconds
    error_message = "maximum_batching_window_in_seconds must be a whole number from 0 to 300."
  }
}

variable "starting_position" {
  description = "Where a new mapping starts reading the stream: TRIM_HORIZON (oldest record, so changes written before the mapping existed are not lost) or LATEST."
  type        = string
  default     = "TRIM_HORIZON"

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST"], var.starting_position)
    error_message = "starting_position must be TRIM_HORIZON or LATEST."
  }
}

variable "maximum_retry_attempts" {
  description = "Retries of a failed batch before its records go to the on-failure destination (-1 retries until the records expire)."
  type        = number
  default     = 3

  validation {
    condition     = var.maximum_retry_attempts >= -1 && var.maximum_retry_attempts <= 10000 && floor(var.maximum_retry_attempts) == var.maximum_retry_attempts
    error_message = "maximum_retry_attempts must be a whole number from -1 to 10000."
  }
}

variable "maximum_record_age_in_seconds" {
  description = "Records older than this are sent to the on-failure destination instead of the consumer; -1 means no limit (the stream keeps records 24 h)."
  type        = number
  default     = 86400

  validation {
    condition     = var.maximum_record_age_in_seconds == -1 || (var.maximum_record_age_in_seconds >= 60 && var.maximum_record_age_in_seconds <= 604800 && floor(var.maximum_record_age_in_seconds) == var.maximum_record_age_in_seconds)
    error_message = "maximum_record_age_in_seconds must be -1 or a whole number from 60 to 604800."
  }
}

variable "bisect_batch_on_function_error" {
  description = "Split a failing batch in two and retry the halves, isolating the bad record."
  type        = bool
  default     = true
}

variable "parallelization_factor" {
  description = "Concurrent consumer invocations per stream shard (order is kept per item key)."
  type        = number
  default     = 1

  validation {
    condition     = var.parallelization_factor >= 1 && var.parallelization_factor <= 10 && floor(var.parallelization_factor) == var.parallelization_factor
    error_message = "parallelization_factor must be a whole number from 1 to 10."
  }
}

variable "tumbling_window_in_seconds" {
  description = "Length of a tumbling aggregation window in seconds; 0 turns windows off."
  type        = number
  default     = 0

  validation {
    condition     = var.tumbling_window_in_seconds >= 0 && var.tumbling_window_in_seconds <= 900 && floor(var.tumbling_window_in_seconds) == var.tumbling_window_in_seconds
    error_message = "tumbling_window_in_seconds must be a whole number from 0 to 900."
  }
}

variable "filter_patterns" {
  description = "Lambda event filter patterns (JSON strings); a record reaches the consumer when it matches any of them. Empty delivers every record."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.filter_patterns) <= 5 && alltrue([for pattern in var.filter_patterns : can(keys(jsondecode(pattern)))])
    error_message = "filter_patterns must hold at most 5 patterns, each a JSON object."
  }
}

variable "report_batch_item_failures" {
  description = "Let the consumer report the failed records of a batch (ReportBatchItemFailures) so only those are retried."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------------------------------------------------
# HTTP API
# ---------------------------------------------------------------------------------------------------------------------

variable "authorization_type" {
  description = "Authorization of every route: NONE, AWS_IAM (SigV4-signed requests) or JWT (then jwt_issuer and jwt_audience are required)."
  type        = string
  default     = "AWS_IAM"

  validation {
    condition     = contains(["NONE", "AWS_IAM", "JWT"], var.authorization_type)
    error_message = "authorization_type must be NONE, AWS_IAM or JWT."
  }
}

variable "jwt_issuer" {
  description = "Issuer URL of the JWT authorizer; required when authorization_type is JWT."
  type        = string
  default     = null

  validation {
    condition     = var.jwt_issuer == null || can(regex("^https://", var.jwt_issuer))
    error_message = "jwt_issuer must be null or an https:// URL."
  }
}

variable "jwt_audience" {
  description = "Accepted audiences (aud claim) of the JWT authorizer; at least one is required when authorization_type is JWT."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for audience in var.jwt_audience : length(trimspace(audience)) > 0])
    error_message = "jwt_audience must hold non-blank audience strings."
  }
}

variable "throttling_burst_limit" {
  description = "Default route burst limit of the API stage (requests)."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_burst_limit >= 0 && var.throttling_burst_limit <= 5000 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number from 0 to 5000."
  }
}

variable "throttling_rate_limit" {
  description = "Default route steady-state rate limit of the API stage (requests per second)."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_rate_limit >= 0 && var.throttling_rate_limit <= 10000
    error_message = "throttling_rate_limit must be from 0 to 10000 requests per second."
  }
}

variable "cors" {
  description = "CORS settings of the HTTP API; null (the default) turns CORS off."
  type = object({
    allow_origins     = list(string)
    allow_methods     = optional(list(string), ["GET", "POST", "PUT", "DELETE", "OPTIONS"])
    allow_headers     = optional(list(string), ["content-type", "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "if-match", "idempotency-key"])
    expose_headers    = optional(list(string), ["location", "etag"])
    allow_credentials = optional(bool, false)
    max_age           = optional(number, 300)
  })
  default = null

  validation {
    condition     = var.cors == null || try(length(var.cors.allow_origins) > 0 && var.cors.max_age >= 0 && var.cors.max_age <= 86400, false)
    error_message = "cors must be null or name at least one origin in allow_origins, with max_age from 0 to 86400 seconds."
  }

  validation {
    # API Gateway refuses credentials with the "*" origin, and origins with a path.
    condition = var.cors == null || try(
      alltrue([for origin in var.cors.allow_origins : origin == "*" || can(regex("^[a-z][a-z0-9+.-]*://[^/]+$", origin))]) &&
      alltrue([for method in var.cors.allow_methods : contains(["*", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"], method)]) &&
      !(var.cors.allow_credentials && contains(var.cors.allow_origins, "*")),
      false
    )
    error_message = "cors.allow_origins must be \"*\" or scheme://host[:port] without a path, cors.allow_methods HTTP methods (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS) or \"*\", and allow_credentials needs explicit origins instead of \"*\"."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Failed batches: on-failure destination, redrive and alarms
# ---------------------------------------------------------------------------------------------------------------------

variable "on_failure_destination_type" {
  description = "Where the mapping sends a batch that fails every retry or ages out: s3 (the whole invocation record, batch included, kept failed_batch_retention_days), sqs or sns (a pointer to the batch's shard and sequence range only, useless once the stream's 24 h retention has passed)."
  type        = string
  default     = "s3"

  validation {
    condition     = contains(["s3", "sqs", "sns"], var.on_failure_destination_type)
    error_message = "on_failure_destination_type must be s3, sqs or sns."
  }
}

variable "create_on_failure_destination" {
  description = "Create the on-failure destination of on_failure_destination_type (encrypted bucket, queue or topic) when on_failure_destination_arn is null. Set false when on_failure_destination_arn is only known after apply (a bucket, queue or topic created in the same configuration)."
  type        = bool
  default     = true
}

variable "on_failure_destination_arn" {
  description = "Existing S3 bucket, SQS queue or SNS topic ARN (of on_failure_destination_type) for batches that fail every retry; null creates one. The module's roles get access to it; its bucket, queue or key policy must not deny them."
  type        = string
  default     = null

  validation {
    condition = var.on_failure_destination_arn == null || try(
      can(regex("^arn:[a-z-]+:(sqs|sns):[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+$", var.on_failure_destination_arn)) ||
      can(regex("^arn:[a-z-]+:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.on_failure_destination_arn)),
      false
    )
    error_message = "on_failure_destination_arn must be null, an S3 bucket ARN (arn:<partition>:s3:::<bucket>, no object key), or an SQS queue or SNS topic ARN (arn:<partition>:sqs|sns:<region>:<account>:<name>)."
  }
}

variable "failure_bucket_name" {
  description = "Exact name of the failure bucket the module creates (type s3); null derives a unique name from var.name (\"<name>-failures-\" and a suffix S3 makes unique)."
  type        = string
  default     = null

  validation {
    # S3's naming rules, without dots: a dotted name breaks the TLS certificate of virtual-hosted requests.
    condition = var.failure_bucket_name == null || try(
      can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.failure_bucket_name)) &&
      !startswith(var.failure_bucket_name, "xn--") && !startswith(var.failure_bucket_name, "sthree-") &&
      !endswith(var.failure_bucket_name, "-s3alias") && !endswith(var.failure_bucket_name, "--ol-s3") &&
      !endswith(var.failure_bucket_name, "--x-s3"),
      false
    )
    error_message = "failure_bucket_name must be null or 3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit, not starting with xn-- or sthree- and not ending with -s3alias, --ol-s3 or --x-s3."
  }
}

variable "failed_batch_retention_days" {
  description = "Days the failure bucket keeps a failed batch that was not replayed (type s3). 90 leaves a quarter to notice, fix and replay; the stream itself keeps records only 24 h."
  type        = number
  default     = 90

  validation {
    condition     = var.failed_batch_retention_days >= 1 && var.failed_batch_retention_days <= 3650 && floor(var.failed_batch_retention_days) == var.failed_batch_retention_days
    error_message = "failed_batch_retention_days must be a whole number of days from 1 to 3650."
  }
}

variable "redriven_batch_retention_days" {
  description = "Days the failure bucket keeps a batch after the redrive replayed it (under redriven/), as a record of what was replayed (type s3)."
  type        = number
  default     = 30

  validation {
    condition     = var.redriven_batch_retention_days >= 1 && var.redriven_batch_retention_days <= 3650 && floor(var.redriven_batch_retention_days) == var.redriven_batch_retention_days
    error_message = "redriven_batch_retention_days must be a whole number of days from 1 to 3650."
  }
}

variable "failure_bucket_access_log" {
  description = "Server access logging of the failure bucket: an existing log bucket (which must accept logs from logging.s3.amazonaws.com) and a key prefix; null leaves access logging off."
  type = object({
    bucket = string
    prefix = optional(string, "")
  })
  default = null

  validation {
    condition = var.failure_bucket_access_log == null || try(
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.failure_bucket_access_log.bucket)) && length(var.failure_bucket_access_log.prefix) <= 1024,
      false
    )
    error_message = "failure_bucket_access_log must be null or name a bucket (3-63 lowercase letters, digits, dots and hyphens) and a prefix of at most 1024 characters."
  }
}

variable "failure_bucket_force_destroy" {
  description = "Let Terraform delete the failure bucket (destroy, or a change of destination) with every failed batch and object version still in it; false refuses to delete a bucket that holds any, since those may be the only copy of changes the stream no longer has."
  type        = bool
  default     = false
}

variable "redrive_enabled" {
  description = "Deploy the <name>-redrive function, which an operator invokes to replay failed batches through the consumer (docs/operations.md)."
  type        = bool
  default     = true
}

variable "redrive_timeout" {
  description = "Timeout of the redrive function in seconds; one invocation replays up to its payload's limit of batches, each a synchronous consumer invocation."
  type        = number
  default     = 300

  validation {
    condition     = var.redrive_timeout >= 1 && var.redrive_timeout <= 900 && floor(var.redrive_timeout) == var.redrive_timeout
    error_message = "redrive_timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "alarms_enabled" {
  description = "Create the CloudWatch alarms (alarm_arns output) and turn on the mapping's EventCount metrics, which the failed_batches alarm watches (charged as custom CloudWatch metrics)."
  type        = bool
  default     = true
}

variable "alarm_actions" {
  description = "SNS topic ARNs notified when an alarm fires and again when it clears; empty creates the alarms without notifications."
  type        = list(string)
  default     = []

  validation {
    # CloudWatch accepts at most 5 actions per alarm state.
    condition     = length(var.alarm_actions) <= 5 && alltrue([for arn in var.alarm_actions : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$", arn))])
    error_message = "alarm_actions must hold at most 5 SNS topic ARNs (arn:<partition>:sns:<region>:<account>:<topic>)."
  }
}

variable "alarm_thresholds" {
  description = "Thresholds of the alarms, each reached by its value over 5 minutes. Defaults: consumer_iterator_age_ms 300000 (the consumer is 5 minutes behind the stream, stuck on a failing batch or too slow, far from the 24 h retention); consumer_errors 1 (bad records come back as batch item failures, so an invocation error is a crash or timeout); consumer_throttles 1 (a throttled invocation holds back a whole shard); failed_batch_records 1 (each record sent to the on-failure destination is a change the consumer did not process); destination_delivery_failures 1 (a failed delivery loses the records); writer_errors 1 (the writer answers bad requests itself, so an error is a crash or timeout); api_5xx 5 (a lone 5xx pages nobody, a burst does); table_throttled_requests 5 (the SDK retries a few throttles, more means a hot key or exhausted capacity); table_system_errors 1 (an internal DynamoDB error reached a caller)."
  type = object({
    consumer_iterator_age_ms      = optional(number, 300000)
    consumer_errors               = optional(number, 1)
    consumer_throttles            = optional(number, 1)
    failed_batch_records          = optional(number, 1)
    destination_delivery_failures = optional(number, 1)
    writer_errors                 = optional(number, 1)
    api_5xx                       = optional(number, 5)
    table_throttled_requests      = optional(number, 5)
    table_system_errors           = optional(number, 1)
  })
  default  = {}
  nullable = false

  validation {
    # IteratorAge cannot exceed the stream's 24 h retention.
    condition     = var.alarm_thresholds.consumer_iterator_age_ms >= 1000 && var.alarm_thresholds.consumer_iterator_age_ms <= 86400000 && floor(var.alarm_thresholds.consumer_iterator_age_ms) == var.alarm_thresholds.consumer_iterator_age_ms
    error_message = "alarm_thresholds.consumer_iterator_age_ms must be a whole number of milliseconds from 1000 to 86400000 (24 h)."
  }

  validation {
    condition     = var.alarm_thresholds.consumer_errors >= 1 && floor(var.alarm_thresholds.consumer_errors) == var.alarm_thresholds.consumer_errors
    error_message = "alarm_thresholds.consumer_errors must be a whole number of at least 1."
  }

  validation {
    condition     = var.alarm_thresholds.consumer_throttles >= 1 && floor(var.alarm_thresholds.consumer_throttles) == var.alarm_thresholds.consumer_throttles
    error_message = "alarm_thresholds.consumer_throttles must be a whole number of at least 1."
  }

  validation {
    condition     = var.alarm_thresholds.failed_batch_records >= 1 && floor(var.alarm_thresholds.failed_batch_records) == var.alarm_thresholds.failed_batch_records
    error_message = "alarm_thresholds.failed_batch_records must be a whole number of at least 1."
  }

  validation {
    condition     = var.alarm_thresholds.destination_delivery_failures >= 1 && floor(var.alarm_thresholds.destination_delivery_failures) == var.alarm_thresholds.destination_delivery_failures
    error_message = "alarm_thresholds.destination_delivery_failures must be a whole number of at least 1."
  }

  validation {
    condition     = var.alarm_thresholds.writer_errors >= 1 && floor(var.alarm_thresholds.writer_errors) == var.alarm_thresholds.writer_errors
    error_message = "alarm_thresholds.writer_errors must be a whole number of at least 1."
  }

  validation {
    condition     = var.alarm_thresholds.api_5xx >= 1 && floor(var.alarm_thresholds.api_5xx) == var.alarm_thresholds.api_5xx
    error_message = "alarm_thresholds.api_5xx must be a whole number of at least 1."
  }

  validation {
    condition     = var.alarm_thresholds.table_throttled_requests >= 1 && floor(var.alarm_thresholds.table_throttled_requests) == var.alarm_thresholds.table_throttled_requests
    error_message = "alarm_thresholds.table_throttled_requests must be a whole number of at least 1."
  }

  validation {
    condition     = var.alarm_thresholds.table_system_errors >= 1 && floor(var.alarm_thresholds.table_system_errors) == var.alarm_thresholds.table_system_errors
    error_message = "alarm_thresholds.table_system_errors must be a whole number of at least 1."
  }
}

variable "log_group_class" {
  description = "Log class of the log groups that need no Standard-only feature: the consumer's and the HTTP API access log's. INFREQUENT_ACCESS halves the ingestion price but has no metric filters or embedded metric format extraction, no Live Tail, no anomaly detection or data protection, and Logs Insights without pattern or diff. The writer's log group stays STANDARD whatever this says, since its Powertools metrics are embedded metric format lines. A log group's class cannot be changed in place: changing this replaces those log groups, and their logs are deleted."
  type        = string
  default     = "STANDARD"

  validation {
    condition     = contains(["STANDARD", "INFREQUENT_ACCESS"], var.log_group_class)
    error_message = "log_group_class must be STANDARD or INFREQUENT_ACCESS."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# SnapStart
# ---------------------------------------------------------------------------------------------------------------------

variable "snap_start_enabled" {
  description = "Lambda SnapStart for the writer and the consumer (runtime python3.12 or later): each apply publishes a version, snapshotted after its init, behind an alias \"live\" that the API, the mapping and the redrive invoke. Python functions pay for snapshot caching and restores."
  type        = bool
  default     = false
}
