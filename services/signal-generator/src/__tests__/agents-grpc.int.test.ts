/**
 * cte.signals.v1.SignalGenerator over real sockets (kit server and client on
 * port 0) against real MariaDB: every RPC, proto3 optional fields, and the
 * domain errors coming back as the same DomainError classes.
 */
import {
  ConflictError,
  createGrpcClient,
  createGrpcServer,
  createLogger,
  createMetrics,
  FailedPreconditionError,
  InvalidArgumentError,
  loadProto,
  NotFoundError,
  type GrpcClient,
  type GrpcServerKit,
  type SignalGeneratorClient,
  type SignalGeneratorProtoGrpcType,
  TradableSymbols,
} from '@cte/shared';
import { createTestDatabase, expectOversizedRefusedAlongside, type TestDatabase } from '@cte/testkit';
import { agentGrpcHandlers } from '../adapters/agent-grpc';
import { AgentRepository } from '../adapters/agent-repository';
import { TaskRepository } from '../adapters/task-repository';
import { AgentRuntime } from '../agents/agent-runtime';
import { AgentService } from '../agents/agent-service';
import { TaskEngine } from '../tasks/task-engine';

const KEY = 'agents-grpc-test-key-0123456789';
const logger = createLogger({ service: 'test', level: 'silent' });
let tdb: TestDatabase;
let server: GrpcServerKit;
let client: GrpcClient<SignalGeneratorClient>;
let tasks: TaskEngine;
const runtime = new AgentRuntime();

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  const agents = new AgentService({ store: new AgentRepository(tdb.db), symbols: TradableSymbols.of(['BTC/USDT', 'ETH/USDT'], 'test'), logger, runtime });
  tasks = new TaskEngine({
    store: new TaskRepository(tdb.db),
    agents,
    logger,
    config: { concurrency: 1 },
    executor: async (agent, params, signal) => {
      if (params.hang) await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      return { agent: agent.name, n: params.n ?? null };
    },
  });
  const proto = loadProto<SignalGeneratorProtoGrpcType>('cte/signals/v1/signal_generator.proto');
  server = createGrpcServer({ service: 'signal-generator', apiKey: KEY, logger, registry: createMetrics('signal-generator') });
  server.addService(proto.cte.signals.v1.SignalGenerator.service, agentGrpcHandlers(agents, tasks));
  const port = await server.listen(0, '127.0.0.1');
  client = createGrpcClient(proto.cte.signals.v1.SignalGenerator, `127.0.0.1:${port}`, { apiKey: KEY, deadlineMs: 5000 });
});
afterAll(async () => {
  client?.close();
  await tasks?.close(0);
  await server?.shutdown(0);
  await tdb?.drop();
});

it('CreateAgent / GetAgent / ListAgents with JSON config, int64 times as strings', async () => {
  const a = await client.unary('CreateAgent', { name: 'btc_trend_follower', type: 'trend_follower', symbol: 'BTC/USDT', timeframe: '1h', config_json: '{"leverage":5}' });
  expect(a).toMatchObject({ name: 'btc_trend_follower', type: 'trend_follower', symbol: 'BTC/USDT', timeframe: '1h', status: 'stopped', version: '1' });
  expect(JSON.parse(a.config_json)).toEqual({ leverage: 5, horizon_ms: 14_400_000, adx_min: 20, di_confirm: true });
  expect(Number(a.created_at)).toBeGreaterThan(1.6e12);
  expect(await client.unary('GetAgent', { id: a.id })).toEqual(a);

  await client.unary('CreateAgent', { name: 'eth_model', type: 'ml_model', symbol: 'ETH/USDT', timeframe: '15m', config_json: '' });
  const all = await client.unary('ListAgents', {});
  expect(all.total).toBe(2);
  const models = await client.unary('ListAgents', { type: 'ml_model' });
  expect(models.agents.map((x) => x.name)).toEqual(['eth_model']);
  expect(JSON.parse(models.agents[0]!.config_json)).toMatchObject({ threshold: 0.6, horizon_ms: 3_600_000, leverage: 1 });
  const page = await client.unary('ListAgents', { limit: 1, offset: 1 });
  expect(page.agents.map((x) => x.name)).toEqual(['eth_model']);
  expect(page.total).toBe(2);
});

it('maps errors: INVALID_ARGUMENT, ALREADY_EXISTS (ConflictError), NOT_FOUND', async () => {
  await expect(client.unary('CreateAgent', { name: 'x', type: 'nope', symbol: 'BTC/USDT', timeframe: '1h' })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(client.unary('CreateAgent', { name: 'x', type: 'breakout', symbol: 'FOO/BAR', timeframe: '1h' })).rejects.toThrow(/unknown symbol FOO\/BAR/);
  await expect(client.unary('CreateAgent', { name: 'x', type: 'ml_model', symbol: 'BTC/USDT', timeframe: '1h', config_json: '{"threshold":2}' })).rejects.toThrow(/threshold/);
  await expect(client.unary('CreateAgent', { name: 'x', type: 'ml_model', symbol: 'BTC/USDT', timeframe: '1h', config_json: '{oops' })).rejects.toThrow(/config_json is not valid JSON/);
  await expect(client.unary('CreateAgent', { name: 'btc_trend_follower', type: 'breakout', symbol: 'BTC/USDT', timeframe: '1h' })).rejects.toBeInstanceOf(ConflictError);
  await expect(client.unary('GetAgent', { id: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(NotFoundError);
  await expect(client.unary('GetAgent', { id: '' })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(client.unary('ListAgents', { status: 'zombie' })).rejects.toBeInstanceOf(InvalidArgumentError);
  // "0" in a string filter is a value, not "unset" (tests/fuzz found it ignored).
  await expect(client.unary('ListAgents', { status: '0' })).rejects.toBeInstanceOf(InvalidArgumentError);
});

it('UpdateAgent changes only the fields that are set; Start/Stop; a running agent keeps its type', async () => {
  const { agents } = await client.unary('ListAgents', { type: 'trend_follower' });
  const a = agents[0]!;
  const renamed = await client.unary('UpdateAgent', { id: a.id, name: 'btc_tf' });
  expect(renamed).toMatchObject({ name: 'btc_tf', type: 'trend_follower', symbol: 'BTC/USDT', timeframe: '1h', version: '2' });
  expect(JSON.parse(renamed.config_json)).toMatchObject({ leverage: 5 });

  const started = await client.unary('StartAgent', { id: a.id });
  expect(started.status).toBe('running');
  expect(runtime.has(a.id)).toBe(true);
  await expect(client.unary('UpdateAgent', { id: a.id, type: 'breakout' })).rejects.toBeInstanceOf(ConflictError);
  await expect(client.unary('UpdateAgent', { id: a.id, config_json: '{"adx_min":30}', expected_version: 1 })).rejects.toBeInstanceOf(ConflictError);
  const tuned = await client.unary('UpdateAgent', { id: a.id, config_json: '{"adx_min":30}', expected_version: started.version });
  expect(JSON.parse(tuned.config_json)).toMatchObject({ adx_min: 30, leverage: 5 });
  const stopped = await client.unary('StopAgent', { id: a.id });
  expect(stopped.status).toBe('stopped');
  expect(runtime.has(a.id)).toBe(false);
  await expect(client.unary('StartAgent', { id: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(NotFoundError);
});

it('GetAgentLogs: newest first, level filter, pagination', async () => {
  const { agents } = await client.unary('ListAgents', { type: 'trend_follower' });
  const id = agents[0]!.id;
  const logs = await client.unary('GetAgentLogs', { id, limit: 2 });
  expect(logs.total).toBe(5);
  expect(logs.logs.map((l) => l.message)).toEqual(['agent stopped', 'agent updated: config']);
  expect(JSON.parse(logs.logs[0]!.data_json)).toEqual({ previous_status: 'running' });
  const older = await client.unary('GetAgentLogs', { id, limit: 10, offset: 3 });
  expect(older.logs.map((l) => l.message)).toEqual(['agent updated: name', 'agent created']);
  expect((await client.unary('GetAgentLogs', { id, level: 'error' })).total).toBe(0);
  await expect(client.unary('GetAgentLogs', { id, level: 'shout' })).rejects.toBeInstanceOf(InvalidArgumentError);
});

it('ExecuteAgent / GetTask / CancelTask', async () => {
  const { agents } = await client.unary('ListAgents', { type: 'ml_model' });
  const id = agents[0]!.id;
  const { task_id } = await client.unary('ExecuteAgent', { id, parameters_json: '{"n":7}', priority: 0, max_attempts: 1 });
  let task = await client.unary('GetTask', { id: task_id });
  for (let i = 0; i < 500 && task.status !== 'succeeded'; i++) {
    await new Promise((r) => setTimeout(r, 10));
    task = await client.unary('GetTask', { id: task_id });
  }
  expect(task).toMatchObject({ id: task_id, agent_id: id, status: 'succeeded', priority: 0, attempts: 1, max_attempts: 1, timeout_ms: 30_000, error: '' });
  expect(JSON.parse(task.result_json)).toEqual({ agent: 'eth_model', n: 7 });
  expect(Number(task.duration_ms)).toBe(Number(task.finished_at) - Number(task.started_at));
  await expect(client.unary('CancelTask', { id: task_id })).rejects.toBeInstanceOf(FailedPreconditionError);

  const hanging = await client.unary('ExecuteAgent', { id, parameters_json: '{"hang":true}' });
  for (let i = 0; i < 500 && (await client.unary('GetTask', { id: hanging.task_id })).status !== 'running'; i++) await new Promise((r) => setTimeout(r, 10));
  const cancelled = await client.unary('CancelTask', { id: hanging.task_id });
  expect(cancelled).toMatchObject({ status: 'cancelled', priority: 5 });

  await expect(client.unary('ExecuteAgent', { id, parameters_json: '[1]' })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(client.unary('ExecuteAgent', { id, priority: 11 })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(client.unary('ExecuteAgent', { id: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(NotFoundError);
  await expect(client.unary('GetTask', { id: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(NotFoundError);
});

it('hostile input (issue 10): JSON fields nested 45,000 deep and a 200 KB field are INVALID_ARGUMENT naming the field, never INTERNAL', async () => {
  const { agents } = await client.unary('ListAgents', { type: 'ml_model' });
  const id = agents[0]!.id;
  const totalBefore = (await client.unary('ListAgents', {})).total;
  const deep = `{"x":${'['.repeat(45_000)}0${']'.repeat(45_000)}}`;
  await expect(client.unary('ExecuteAgent', { id, parameters_json: deep })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'parameters_json is nested deeper than 32 levels' });
  await expect(client.unary('CreateAgent', { name: 'deep', type: 'ml_model', symbol: 'BTC/USDT', timeframe: '1h', config_json: deep })).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
    message: 'config_json is nested deeper than 32 levels',
  });
  await expect(client.unary('UpdateAgent', { id, config_json: deep })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'config_json is nested deeper than 32 levels' });
  // Before the cap the status trailer never arrived: both calls on the connection waited for the deadline.
  await expectOversizedRefusedAlongside(
    client.unary('CreateAgent', { name: 'n'.repeat(200 * 1024), type: 'ml_model', symbol: 'BTC/USDT', timeframe: '1h' }),
    client.unary('ListAgents', {}),
    /^name must be/,
  );
  expect((await client.unary('ListAgents', {})).total).toBe(totalBefore);
});

it('DeleteAgent returns the agent, then NOT_FOUND', async () => {
  const { agents } = await client.unary('ListAgents', { type: 'ml_model' });
  const gone = await client.unary('DeleteAgent', { id: agents[0]!.id });
  expect(gone.name).toBe('eth_model');
  await expect(client.unary('GetAgent', { id: gone.id })).rejects.toBeInstanceOf(NotFoundError);
});
