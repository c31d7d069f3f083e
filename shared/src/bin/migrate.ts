#!/usr/bin/env node
/**
 * cte-migrate: applies shared/migrations (or MIGRATIONS_DIR) to MYSQL_URL.
 * Runs as the Kubernetes migration Job and locally. Exit code 1 on failure.
 */
import { migrate } from '../db/migrate';
import { DomainError } from '../errors';
import { createLogger, redactUrl } from '../logger';

const DEFAULT_URL = 'mysql://root@127.0.0.1:3306/crypto_trading';

async function main(): Promise<void> {
  const url = process.env.MYSQL_URL?.trim() || DEFAULT_URL;
  const dir = process.env.MIGRATIONS_DIR?.trim() || undefined;
  const logger = createLogger({ service: 'migrate' });
  process.stdout.write(`migrating ${redactUrl(url)}${dir ? ` from ${dir}` : ''}\n`);
  const result = await migrate({ url, logger, dir });
  for (const id of result.applied) process.stdout.write(`applied ${id}\n`);
  process.stdout.write(
    result.applied.length === 0
      ? `up to date (${result.skipped} already applied)\n`
      : `${result.applied.length} applied, ${result.skipped} already applied\n`,
  );
}

main().catch((err: unknown) => {
  const message = err instanceof DomainError || err instanceof Error ? err.message : String(err);
  // The URL is never in these messages; redact anyway in case a driver echoes it.
  const url = process.env.MYSQL_URL ?? '';
  const safe = url ? message.split(url).join(redactUrl(url)) : message;
  process.stderr.write(`migrate failed: ${safe}\n`);
  process.exit(1);
});
