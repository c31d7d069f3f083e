/**
 * For hostile-input tests: an oversized gRPC request and a small one sent together on one
 * connection. The oversized one must be refused with INVALID_ARGUMENT and a message of at most 512
 * characters matching `message`, and the small one must still be answered (before the cap the
 * status trailer never arrived: both calls on the connection waited for the deadline).
 */
export async function expectOversizedRefusedAlongside(oversized: Promise<unknown>, small: Promise<unknown>, message: RegExp): Promise<void> {
  const [big, ok] = await Promise.allSettled([oversized, small]);
  expect(big.status).toBe('rejected');
  const bigErr = (big as PromiseRejectedResult).reason as { code: string; message: string };
  expect(bigErr.code).toBe('INVALID_ARGUMENT');
  expect(bigErr.message).toMatch(message);
  expect(bigErr.message.length).toBeLessThanOrEqual(512);
  expect(ok.status).toBe('fulfilled');
}
