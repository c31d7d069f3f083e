import { createTestDatabase, startService } from '@cte/testkit';
import { ALL_SERVICES } from './rig';
it('times', async () => {
  let t0 = Date.now();
  const tdb = await createTestDatabase();
  console.log('db', Date.now() - t0);
  t0 = Date.now();
  const svcs = await Promise.all(ALL_SERVICES.map(async (n) => { const s = await startService(n, { env: { MYSQL_URL: tdb.url, SEED_AGENTS: 'false' } }); console.log(n, Date.now() - t0); return s; }));
  await Promise.all(svcs.map((s) => s.stop()));
  await tdb.drop();
}, 120000);
