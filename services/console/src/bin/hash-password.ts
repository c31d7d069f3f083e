#!/usr/bin/env node
/**
 * Prints a scrypt hash of a password for CONSOLE_OPERATORS, reading the password from stdin (never
 * from an argument, which would land in shell history and `ps`):
 *   printf '%s' "$PASSWORD" | node services/console/dist/bin/hash-password.js
 */
import { formatScryptHash } from '../engine/operators';
import { hashPassword } from '../adapters/passwords';

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (password.length < 12) {
    process.stderr.write('console-hash-password: the password must be at least 12 characters\n');
    process.exit(2);
  }
  process.stdout.write(`${formatScryptHash(await hashPassword(password))}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`console-hash-password: ${(err as Error).message}\n`);
  process.exit(1);
});
