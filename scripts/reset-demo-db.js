#!/usr/bin/env node
// Drops the demo database named in MYSQL_URL (only a *_demo database, as a safety net), so each
// `make demo` replays into fresh tables; migrations recreate it.
const mysql = require('mysql2/promise');

(async () => {
  const url = new URL(process.env.MYSQL_URL);
  const db = url.pathname.slice(1);
  if (!/^[\w]+_demo$/.test(db)) throw new Error(`refusing to drop ${db}: only *_demo databases`);
  url.pathname = '/';
  const conn = await mysql.createConnection(url.toString());
  await conn.query(`DROP DATABASE IF EXISTS \`${db}\``);
  await conn.end();
})().catch((err) => {
  console.error(`demo: cannot reset the demo database: ${err.message}`);
  process.exit(1);
});
