#!/usr/bin/env bash
# Runs the whole test suite on Node.js 24 with Middy 7 and protobufjs 8, in a temporary copy of the repository, so
# that the working tree and its node_modules stay untouched.
#
# The npm package `node@24` puts a Node 24 binary in node_modules/.bin, which npm scripts find first on PATH: every
# `npm run`/`npm test` in the copy, and everything those start, runs on Node 24.
#
# Environment: KEEP_LATEST_DIR=1 keeps the copy (its path is printed).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/middy-grpc-latest.XXXXXX")
copy="$work/main"
cleanup() {
  if [ "${KEEP_LATEST_DIR:-}" = 1 ]; then echo "test-latest: kept $copy"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Started through `npm run test:latest`, the environment points npm at this repository (npm_config_local_prefix,
# npm_package_*) and PATH starts with its node_modules/.bin: none of that may leak into the copy.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(npm_config_local_prefix|npm_package_.*|npm_lifecycle_.*|npm_command|INIT_CWD)$' || true)
clean_path=
IFS=: read -r -a path_entries <<< "$PATH"
for entry in "${path_entries[@]}"; do
  case "$entry" in
    */node_modules/.bin | */node-gyp-bin) ;;
    *) clean_path="${clean_path:+$clean_path:}$entry" ;;
  esac
done
export PATH="$clean_path"
unset NODE_OPTIONS

echo "test-latest: copying $repo to $copy"
mkdir -p "$copy"
if git -C "$repo" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  # Tracked files plus untracked ones that are not ignored; files deleted in the working tree are skipped.
  (
    cd "$repo"
    git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' file; do if [ -e "$file" ]; then printf '%s\0' "$file"; fi; done |
      tar --null -T - -cf -
  ) | tar -xf - -C "$copy"
else
  (cd "$repo" && tar --exclude=./node_modules --exclude=./dist --exclude=./.git -cf - .) | tar -xf - -C "$copy"
fi
# Tests may read the shared documents beside the repository, as in the original layout.
if [ -d "$repo/../shared" ]; then ln -s "$(cd "$repo/../shared" && pwd)" "$work/shared"; fi

cd "$copy"
# Every @middy/* package the repository tests with, at major 7; every @connectrpc/* one at 2.2 or later (2.2 needs
# Node 22+, so the lockfile written on Node 20 holds 2.1); protobufjs-cli 2, whose peer is protobufjs 8.
package_names() {
  node -e '
    const pkg = require("./package.json")
    const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies })
    for (const name of new Set(names)) if (name.startsWith(process.argv[1])) console.log(name)
  ' "$1"
}
mapfile -t middy < <(package_names @middy/)
mapfile -t connect < <(package_names @connectrpc/)
latest=("${middy[@]/%/@7}" "${connect[@]/%/@^2.2.0}" protobufjs@8 protobufjs-cli@2 node@24)

echo "test-latest: npm install ${latest[*]}"
npm install --no-audit --no-fund --prefer-offline --save-dev "${latest[@]}"

echo
echo "test-latest: versions in $copy"
npm exec --offline -- node -e '
  const { readFileSync } = require("node:fs")
  console.log(`node --version: ${process.version}`)
  for (const name of process.argv.slice(1)) {
    console.log(`${name}: ${JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")).version}`)
  }
' -- "${middy[@]}" protobufjs typescript jest ts-jest "${connect[@]}"
echo

npm test
