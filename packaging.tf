# Builds the code packages and the dependency layer during apply, with only Terraform's built-in terraform_data.
#
# Each zip is named after the sha256 of its inputs (source files, requirements, runtime, architecture and the
# builder itself), all known at plan time. That hash is the functions' and the layer's source_code_hash, so:
# - a plan right after apply proposes nothing (the inputs, hence the hash, are unchanged);
# - changing a handler file changes only that function's hash, a file of the shared package (in both code
#   packages) both functions' hashes, and a pinned dependency only the layer's;
# - the builder skips a zip that already exists, because its name proves what it contains.

locals {
  source_dir   = "${path.module}/lambda_src"
  shared_dir   = "${local.source_dir}/shared"
  builder      = "${path.module}/scripts/build_package.py"
  build_dir    = coalesce(var.build_dir, "${path.root}/.build/lambda")
  builder_hash = filesha256(local.builder)
  # The builder leaves the byte code and caches lying beside the sources out of the packages (it compiles its own
  # from the sources), so they are left out of the input hashes too.
  packaged = {
    writer = [
      for file in sort(fileset("${local.source_dir}/writer", "**")) : file
      if !strcontains(file, "__pycache__") && !endswith(file, ".pyc") && !endswith(file, ".pyo")
    ]
    consumer = [
      for file in sort(fileset("${local.source_dir}/consumer", "**")) : file
      if !strcontains(file, "__pycache__") && !endswith(file, ".pyc") && !endswith(file, ".pyo")
    ]
    redrive = var.redrive_enabled ? [
      for file in sort(fileset("${local.source_dir}/redrive", "**")) : file
      if !strcontains(file, "__pycache__") && !endswith(file, ".pyc") && !endswith(file, ".pyo")
    ] : []
    shared = [
      for file in sort(fileset(local.shared_dir, "**")) : file
      if !strcontains(file, "__pycache__") && !endswith(file, ".pyc") && !endswith(file, ".pyo")
    ]
    consumer_extra = var.consumer_extra_source_dir == null ? [] : [
      for file in sort(fileset(var.consumer_extra_source_dir, "**")) : file
      if !strcontains(file, "__pycache__") && !endswith(file, ".pyc") && !endswith(file, ".pyo")
    ]
  }

  # Archive name => sha256 of every file in each code package, as the builder zips them.
  shared_files = { for file in local.packaged.shared : "shared/${file}" => filesha256("${local.shared_dir}/${file}") }
  code_files = {
    writer = merge(
      { for file in local.packaged.writer : "writer/${file}" => filesha256("${local.source_dir}/writer/${file}") },
      local.shared_files,
    )
    consumer = merge(
      { for file in local.packaged.consumer : "consumer/${file}" => filesha256("${local.source_dir}/consumer/${file}") },
      local.shared_files,
      { for file in local.packaged.consumer_extra : file => filesha256("${var.consumer_extra_source_dir}/${file}") },
    )
    redrive = merge(
      { for file in local.packaged.redrive : "redrive/${file}" => filesha256("${local.source_dir}/redrive/${file}") },
      local.shared_files,
    )
  }

  # The code packages hold byte code compiled for the runtime's Python, so the runtime is one of their inputs too.
  input_hashes = {
    writer   = sha256(jsonencode({ builder = local.builder_hash, runtime = var.runtime, files = local.code_files.writer }))
    consumer = sha256(jsonencode({ builder = local.builder_hash, runtime = var.runtime, files = local.code_files.consumer }))
    redrive  = sha256(jsonencode({ builder = local.builder_hash, runtime = var.runtime, files = local.code_files.redrive }))
    layer = sha256(jsonencode({
      builder      = local.builder_hash
      requirements = filesha256("${local.source_dir}/requirements.txt")
      runtime      = var.runtime
      architecture = var.architecture
    }))
  }

  # Only what the module deploys is built: the layer with any function, a code package with its own function.
  packages = {
    for key, package in local.package_specs : key => package
    if key == "layer" ? local.create_dependencies_layer : contains(keys(local.functions), key)
  }

  package_specs = {
    writer = {
      hash = local.input_hashes.writer
      path = "${local.build_dir}/writer-${local.input_hashes.writer}.zip"
      spec = { kind = "code", source = "${local.source_dir}/writer", prefix = "writer", packages = [local.shared_dir], extra_source = null, runtime = var.runtime }
    }
    consumer = {
      hash = local.input_hashes.consumer
      path = "${local.build_dir}/consumer-${local.input_hashes.consumer}.zip"
      spec = { kind = "code", source = "${local.source_dir}/consumer", prefix = "consumer", packages = [local.shared_dir], extra_source = var.consumer_extra_source_dir, runtime = var.runtime }
    }
    layer = {
      hash = local.input_hashes.layer
      path = "${local.build_dir}/layer-${local.input_hashes.layer}.zip"
      spec = {
        kind         = "layer"
        requirements = "${local.source_dir}/requirements.txt"
        runtime      = var.runtime
        architecture = var.architecture
      }
    }
    redrive = {
      hash = local.input_hashes.redrive
      path = "${local.build_dir}/redrive-${local.input_hashes.redrive}.zip"
      spec = { kind = "code", source = "${local.source_dir}/redrive", prefix = "redrive", packages = [local.shared_dir], extra_source = null, runtime = var.runtime }
    }
  }
}

resource "terraform_data" "package" {
  for_each = local.packages

  # A new input hash replaces this resource, which runs the build again.
  triggers_replace = each.value.hash

  provisioner "local-exec" {
    # The spec goes to the builder as one JSON argument through the interpreter, so no shell quoting is involved.
    interpreter = concat(compact(split(" ", var.build_python)), [local.builder, "--json"])
    command     = jsonencode(merge(each.value.spec, { out = each.value.path }))
  }
}
