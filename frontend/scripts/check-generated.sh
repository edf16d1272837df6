#!/usr/bin/env bash
# Regenerate the schema snapshot and the client, then fail if either differs
# from what is committed: the API changed and nobody ran `npm run generate`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm run --silent generate
stale=$(git status --porcelain -- openapi.json src/client)
if [[ -n $stale ]]; then
    printf '%s\n' "$stale"
    git --no-pager diff --stat -- openapi.json src/client
    echo "The committed schema or client is stale: run \`npm run generate\` in frontend/ and commit the result." >&2
    exit 1
fi
echo "openapi.json and src/client/ are up to date."
