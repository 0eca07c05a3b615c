#!/bin/sh
# `npm start`: the reference server. After `npm run build` it runs the compiled server
# (build/server/main.js, plain Node.js, no TypeScript at run time); without a build, or when a file
# of src/, server/ or package.json changed since (build/BUILT is the build's last step), it runs the
# sources through tsx. Either way `exec` makes the server npm's direct child, so signals reach it
# and it sees npm die (server/shutdown.ts).
cd "$(dirname "$0")/.." || exit 1
if [ -f build/BUILT ]; then
  if [ -z "$(find src server package.json -newer build/BUILT -print 2>/dev/null | head -n 1)" ]; then
    exec node build/server/main.js
  fi
  echo 'jwtguard: build/ is older than the sources: running the sources (npm run build to refresh it)' >&2
fi
exec node --conditions=jwtguard-source --import tsx server/main.ts
