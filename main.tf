# Naming and tags shared by every other file. ARNs are taken from the resources themselves, so the module needs no
# account, region or partition lookups.

locals {
  # Every named resource starts with var.name, so two instances live side by side in one account and region.
  names = {
    table             = "${var.name}-products"
    idempotency_table = "${var.name}-idempotency"
    writer            = "${var.name}-writer"
    consumer          = "${var.name}-consumer"
    layer             = "${var.name}-dependencies"
    redrive           = "${var.name}-redrive"
    dead_letter_queue = "${var.name}-consumer-failures"
    failure_topic     = "${var.name}-consumer-failures"
    failure_pointers  = "${var.name}-consumer-failure-pointers"
    api               = var.name
    api_log_group     = "/aws/apigateway/${var.name}-access"
  }

  tags = var.tags

  service_name      = coalesce(var.service_name, var.name)
  metrics_namespace = coalesce(var.metrics_namespace, var.name)
}
