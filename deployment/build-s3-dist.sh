#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds the deployable assets of the solution.
#
#   ./build-s3-dist.sh <bucket-base-name> <solution-name> <version>
#
#   <bucket-base-name>  base name of the S3 buckets that will hold the assets; the templates append
#                       -<region>, so create <bucket-base-name>-<region> in the primary and backup Regions
#   <solution-name>     first part of the S3 key prefix, e.g. cognito-user-profiles-export-reference-architecture
#   <version>           version string, e.g. v2.0.0; second part of the key prefix
#
# Output (beside this script):
#   global-s3-assets/<template>.template    each deployment/*.yaml with the placeholders replaced
#   regional-s3-assets/                     the same templates plus custom-resources.zip, workflow-common.zip,
#                                           workflow-export.zip and workflow-import.zip
set -euo pipefail

usage() {
  echo "Usage: $0 <bucket-base-name> <solution-name> <version>" >&2
  echo "Example: $0 my-bucket cognito-user-profiles-export-reference-architecture v2.0.0" >&2
}

if [[ $# -ne 3 || -z "${1:-}" || -z "${2:-}" || -z "${3:-}" ]]; then
  usage
  exit 1
fi

bucket="$1"
solution="$2"
version="$3"

# S3 bucket naming rules, checked for <bucket-base-name>-<region> with the longest Region names
# (14 characters, e.g. ap-southeast-1): 3 to 63 characters in all, so at most 48 for the base; lowercase
# letters, digits, dots and hyphens; a letter or digit first and last; no two adjacent dots; not an IP
# address; none of the prefixes S3 reserves.
bucket_problem() {
  local name="$1"
  if (( ${#name} < 3 || ${#name} > 48 )); then
    echo "must be 3 to 48 characters long (the templates append -<region>, and S3 allows 63 in all); it has ${#name}"
  elif [[ ! "$name" =~ ^[a-z0-9.-]+$ ]]; then
    echo "may hold only lowercase letters, digits, dots (.) and hyphens (-)"
  elif [[ ! "$name" =~ ^[a-z0-9] || ! "$name" =~ [a-z0-9]$ ]]; then
    echo "must begin and end with a lowercase letter or a digit"
  elif [[ "$name" == *..* ]]; then
    echo "must not contain two adjacent dots"
  elif [[ "$name" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "must not be formatted as an IP address"
  elif [[ "$name" == xn--* || "$name" == sthree-* || "$name" == amzn-s3-demo-* ]]; then
    echo "must not begin with xn--, sthree- or amzn-s3-demo- (reserved by S3)"
  fi
}
problem="$(bucket_problem "$bucket")"
if [[ -n "$problem" ]]; then
  echo "Invalid <bucket-base-name> \"$bucket\": $problem" >&2
  usage
  exit 1
fi

deployment_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root_dir="$(cd "$deployment_dir/.." && pwd)"
global_dir="$deployment_dir/global-s3-assets"
regional_dir="$deployment_dir/regional-s3-assets"

command -v zip >/dev/null || { echo "zip is required: apt-get install zip" >&2; exit 1; }

echo "[build] Cleaning $global_dir and $regional_dir"
rm -rf "$global_dir" "$regional_dir"
mkdir -p "$global_dir" "$regional_dir"

# Placeholder values are literal text, never sed patterns: escape what sed would interpret.
escape() { printf '%s' "$1" | sed -e 's/[\/&|\\]/\\&/g'; }
bucket_re="$(escape "$bucket")"
solution_re="$(escape "$solution")"
version_re="$(escape "$version")"

shopt -s nullglob
templates=("$deployment_dir"/*.yaml)
if [[ ${#templates[@]} -eq 0 ]]; then
  echo "[build] No templates found in $deployment_dir" >&2
  exit 1
fi
for template in "${templates[@]}"; do
  name="$(basename "$template" .yaml)"
  echo "[build] Template $name.template"
  sed -e "s|BUCKET_NAME_PLACEHOLDER|$bucket_re|g" \
    -e "s|SOLUTION_NAME_PLACEHOLDER|$solution_re|g" \
    -e "s|VERSION_PLACEHOLDER|$version_re|g" \
    "$template" >"$global_dir/$name.template"
  if grep -q -E 'BUCKET_NAME_PLACEHOLDER|SOLUTION_NAME_PLACEHOLDER|VERSION_PLACEHOLDER' "$global_dir/$name.template"; then
    echo "[build] A placeholder is left in $name.template" >&2
    exit 1
  fi
  cp "$global_dir/$name.template" "$regional_dir/"
done

cd "$root_dir"
if [[ ! -d node_modules ]]; then
  echo "[build] Installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

echo "[build] Bundling the Lambda handlers with webpack"
npx webpack --config webpack.config.js

if compgen -G "dist/*.js" >/dev/null; then
  echo "[build] webpack emitted shared chunks outside the package folders; they would be missing from the zips" >&2
  exit 1
fi

packages=(custom-resources workflow-common workflow-export workflow-import)
for package in "${packages[@]}"; do
  if [[ ! -d "dist/$package" ]]; then
    echo "[build] No handler was built for $package (expected source/$package/*.ts exporting handler)" >&2
    exit 1
  fi
  echo "[build] Zipping $package.zip"
  # Fixed timestamps make the zips reproducible for the same sources.
  find "dist/$package" -exec touch -t 198001010000 {} +
  (cd dist && zip -q -r -X "$regional_dir/$package.zip" "$package")
done

echo "[build] Done:"
ls -1 "$global_dir" "$regional_dir"
