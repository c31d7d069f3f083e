import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { InvalidArgumentError } from '@cte/shared';

/** Reads a file as UTF-8 text, gunzipping it first when it starts with the gzip magic bytes. */
export function readTextFile(filePath: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(filePath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new InvalidArgumentError(`${filePath}: cannot read file (${code})`, { file: filePath });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      throw new InvalidArgumentError(`${filePath}: corrupt gzip data`, { file: filePath });
    }
  }
  return bytes.toString('utf8');
}
