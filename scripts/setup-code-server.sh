#!/usr/bin/env bash
# Installs the pinned code-server (VS Code in a browser, from the npm registry) into .cache/, for
# the VS Code end-to-end test and `npm run try`. Needs g++, make, python3 and libkrb5-dev (its
# native modules compile from source) and ripgrep (see below). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.100.3 # the newest release that runs on Node 20 (later ones need Node 22)
DEST=.cache/code-server
if [ -x "$DEST/node_modules/.bin/code-server" ] && [ "$(cat "$DEST/.version" 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
command -v rg >/dev/null || { echo "setup-code-server: ripgrep (rg) is missing: apt-get install ripgrep" >&2; exit 1; }
# @vscode/ripgrep's postinstall downloads ripgrep unless an archive is already in its cache:
# put Debian's binary there under the name it looks for (from its lib/postinstall.js).
cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
mkdir -p "$cache"
for triple in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  tar czf "$cache/ripgrep-v13.0.0-10-$triple.tar.gz" -C "$(dirname "$(command -v rg)")" rg
done
rm -rf "$DEST" && mkdir -p "$DEST"
echo '{"private":true}' > "$DEST/package.json"
# Root refuses postinstalls without unsafe-perm; Node's headers are in /usr/include/node, so
# node-gyp needs no download; node-pty's post-install runs `npx node-gyp` and needs --yes.
( cd "$DEST" && npm_config_unsafe_perm=true npm_config_nodedir=/usr npm_config_yes=true \
    npm install --no-audit --no-fund --no-save "code-server@$VERSION" )
echo "$VERSION" > "$DEST/.version"
echo "code-server $VERSION installed in $DEST"
