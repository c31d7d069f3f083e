#!/usr/bin/env node
// Generates TypeScript types for every .proto under proto/ into shared/src/gen (git-ignored).
// The .proto files are the one copy of each contract; the types are derived at build time.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const protoDir = path.join(root, 'proto');
const outDir = path.join(root, 'shared', 'src', 'gen');

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.proto') ? [path.join(dir, e.name)] : [],
  );
}

const files = walk(protoDir).map((f) => path.relative(protoDir, f));
fs.rmSync(outDir, { recursive: true, force: true });
const bin = path.join(root, 'node_modules', '.bin', 'proto-loader-gen-types');
execFileSync(
  bin,
  ['--grpcLib=@grpc/grpc-js', '--keepCase', '--longs=String', '--enums=String', '--defaults', '--oneofs', `--includeDirs=${protoDir}`, `--outDir=${outDir}`, ...files],
  { stdio: 'inherit', cwd: protoDir },
);
console.log(`generated types for ${files.length} proto file(s) into ${path.relative(root, outDir)}`);
