#!/usr/bin/env bash
# Writes a Terraform CLI config that installs providers from a local filesystem mirror, when one exists,
# and prints its path; prints nothing when there is no mirror (Terraform then uses the registry as usual).
# The mirror is TF_PROVIDER_MIRROR if set, else the first of the usual offline locations that exists.
set -euo pipefail
out=${1:?usage: terraform-cli-config.sh OUTPUT_FILE}
cache_dir=${2:-}
mirror=${TF_PROVIDER_MIRROR:-}
if [ -z "$mirror" ]; then
  for candidate in /opt/tf-plugins "$HOME/.terraform.d/plugins" /usr/share/terraform/plugins; do
    if [ -d "$candidate/registry.terraform.io/hashicorp/aws" ]; then mirror=$candidate; break; fi
  done
fi
[ -n "$mirror" ] || exit 0
mkdir -p "$(dirname "$out")"
{
  [ -z "$cache_dir" ] || { mkdir -p "$cache_dir"; printf 'plugin_cache_dir = "%s"\n' "$cache_dir"; }
  printf 'provider_installation {\n  filesystem_mirror {\n    path    = "%s"\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n' "$mirror"
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
