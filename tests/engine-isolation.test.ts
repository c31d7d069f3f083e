/**
 * Every service's engine (`@cte/<service>/engine`) and the kit's pure core (`@cte/shared/core`)
 * load in a plain node process without any I/O package, so the backtester can wire them in one
 * process with no network and no datastore. Each check requires the built modules (dist/, which
 * `make test` builds before jest) in a fresh child process and reads its require.cache.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const SERVICES_DIR = path.join(ROOT, 'services');

/** Packages that talk to a datastore, the network or the metrics/logging plumbing. */
const IO_PACKAGES = [
  'mysql2',
  'ioredis',
  'express',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'grpc-health-check',
  'prom-client',
  'pino',
  'lru-cache',
  'ccxt',
  'ws',
  'kafkajs',
  'adm-zip',
];

interface LoadReport {
  /** Entries in require.cache after the requires (the modules loaded). */
  modules: number;
  /** Packages from node_modules among them. */
  packages: string[];
}

// Runs in the child: requires each argument, then reports what was loaded.
const PROBE = `
const specs = JSON.parse(process.argv[1]);
for (const spec of specs) require(spec);
const packages = new Set();
for (const file of Object.keys(require.cache)) {
  const m = /.*[\\\\/]node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(file);
  if (m) packages.add(m[1].replace(/\\\\/g, '/'));
}
process.stdout.write(JSON.stringify({ modules: Object.keys(require.cache).length, packages: [...packages].sort() }));
`;

function load(specs: string[]): LoadReport {
  const out = execFileSync(process.execPath, ['-e', PROBE, JSON.stringify(specs)], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out) as LoadReport;
}

function ioPackages(report: LoadReport): string[] {
  return report.packages.filter((p) => IO_PACKAGES.includes(p));
}

function requireBuilt(file: string): void {
  if (!fs.existsSync(file)) {
    throw new Error(`${path.relative(ROOT, file)} is missing: build first (npx tsc -b tsconfig.json; make test builds before jest)`);
  }
}

/** Built engine modules whose source still exists (a stale dist file of a removed source is not the engine's). */
function builtEngineModules(service: string): string[] {
  const srcDir = path.join(SERVICES_DIR, service, 'src', 'engine');
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '__tests__') walk(full);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const rel = path.relative(srcDir, full).replace(/\.ts$/, '.js');
        const built = path.join(SERVICES_DIR, service, 'dist', 'engine', rel);
        requireBuilt(built);
        found.push(built);
      }
    }
  };
  walk(srcDir);
  return found.sort();
}

/** The services the build (`tsc -b tsconfig.json`, whose dist this test reads) covers that have an engine. */
const SERVICES = (JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { references: Array<{ path: string }> }).references
  .map((ref) => /^services\/([a-z0-9-]+)$/.exec(ref.path)?.[1])
  .filter((name): name is string => name !== undefined && fs.existsSync(path.join(SERVICES_DIR, name, 'src', 'engine')))
  .sort();

const counts: string[] = [];

afterAll(() => {
  if (counts.length > 0) console.log(`modules loaded by each engine barrel:\n${counts.join('\n')}`);
});

describe('engine isolation', () => {
  it('finds the services with an engine in the build', () => {
    expect(SERVICES).toEqual(expect.arrayContaining([
      'execution',
      'portfolio',
      'price-stream',
      'recommendations',
      'risk',
      'signal-generator',
      'signals-aggregator',
      'venue-emulator',
    ]));
  });

  it('sees I/O packages where they are loaded: the full @cte/shared barrel', () => {
    requireBuilt(path.join(ROOT, 'shared', 'dist', 'index.js'));
    const report = load(['@cte/shared']);
    expect(ioPackages(report)).toEqual(expect.arrayContaining(['mysql2', 'ioredis', 'express', '@grpc/grpc-js', 'prom-client']));
  });

  it('@cte/shared/core loads no I/O package', () => {
    requireBuilt(path.join(ROOT, 'shared', 'dist', 'core.js'));
    const report = load(['@cte/shared/core']);
    counts.push(`  @cte/shared/core: ${report.modules}`);
    expect({ entry: '@cte/shared/core', io: ioPackages(report) }).toEqual({ entry: '@cte/shared/core', io: [] });
  });

  describe.each(SERVICES)('%s', (service) => {
    it(`exports its engine as @cte/${service}/engine, which loads no I/O package`, () => {
      const pkg = JSON.parse(fs.readFileSync(path.join(SERVICES_DIR, service, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> };
      expect(pkg.exports?.['./engine']).toEqual({ types: './dist/engine/index.d.ts', default: './dist/engine/index.js' });
      requireBuilt(path.join(SERVICES_DIR, service, 'dist', 'engine', 'index.js'));
      const entry = `@cte/${service}/engine`;
      const report = load([entry]);
      counts.push(`  ${entry}: ${report.modules} (packages: ${report.packages.join(', ') || 'none'})`);
      expect({ entry, io: ioPackages(report) }).toEqual({ entry, io: [] });
    });

    it('every module of its engine, barrel or not, loads no I/O package', () => {
      const modules = builtEngineModules(service);
      expect(modules.length).toBeGreaterThan(0);
      const report = load(modules);
      expect({ service, io: ioPackages(report) }).toEqual({ service, io: [] });
    });
  });
});
