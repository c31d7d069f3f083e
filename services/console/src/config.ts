import fs from 'node:fs';
import { EnvReader, envPrefix, readBaseConfig, SERVICES, type BaseConfig, type ServiceName } from '@cte/shared';
import { parseOperators, type Operator } from './engine/operators';

export interface ConsoleConfig extends BaseConfig {
  operators: Operator[];
  /** HS256 key of the session tokens (CONSOLE_SESSION_SECRET, at least 32 bytes). */
  sessionSecret: string;
  sessionTtlSeconds: number;
  /** Secure attribute on the session cookie: on unless the console is served over plain http (local runs). */
  cookieSecure: boolean;
  /** Origins allowed to write (Origin header); empty = the request's own Host. */
  allowedOrigins: string[];
  /** The fleet probed for the Fleet view: every other declared service, by its HTTP URL. */
  probeTargets: Array<{ service: ServiceName; url: string }>;
  probeTimeoutMs: number;
  peers: { priceStream: string; risk: string; execution: string; portfolio: string };
  peerDeadlineMs: number;
  maxLiveClients: number;
}

const ADDR = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;
export const SESSION_SECRET_ENV = 'CONSOLE_SESSION_SECRET';
export const MIN_SESSION_SECRET_BYTES = 32;

function readOperators(env: EnvReader): Operator[] {
  const inline = env.optionalString('CONSOLE_OPERATORS');
  const file = env.optionalString('CONSOLE_OPERATORS_FILE');
  if (inline !== undefined && file !== undefined) {
    env.problem('CONSOLE_OPERATORS', 'set either CONSOLE_OPERATORS or CONSOLE_OPERATORS_FILE, not both');
    return [];
  }
  const name = file !== undefined ? 'CONSOLE_OPERATORS_FILE' : 'CONSOLE_OPERATORS';
  let text: string;
  if (file !== undefined) {
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      env.problem(name, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      return [];
    }
  } else if (inline !== undefined) {
    text = inline;
  } else {
    env.problem('CONSOLE_OPERATORS', 'is required (or CONSOLE_OPERATORS_FILE): a JSON array of {name, role, password_hash}');
    return [];
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // Never echo the text: it may be a password pasted by mistake.
    env.problem(name, 'is not valid JSON');
    return [];
  }
  try {
    return parseOperators(raw);
  } catch (err) {
    env.problem(name, (err as Error).message);
    return [];
  }
}

function hostOf(addr: string): string {
  return addr.startsWith('[') ? addr.slice(0, addr.lastIndexOf(']') + 1) : addr.slice(0, addr.lastIndexOf(':'));
}

export function readConfig(source: Record<string, string | undefined> = process.env): ConsoleConfig {
  const env = new EnvReader(source);
  const base = readBaseConfig(env, 'console');
  const operators = readOperators(env);
  const secret = env.optionalString(SESSION_SECRET_ENV);
  if (secret === undefined) env.problem(SESSION_SECRET_ENV, `is required: at least ${MIN_SESSION_SECRET_BYTES} random bytes (e.g. openssl rand -base64 48)`);
  else if (Buffer.byteLength(secret) < MIN_SESSION_SECRET_BYTES) env.problem(SESSION_SECRET_ENV, `must be at least ${MIN_SESSION_SECRET_BYTES} bytes`);
  // Deployments (compose, Kubernetes) reach each service by its name; a local fleet on loopback.
  const hosts = env.oneOf('CONSOLE_PEER_HOSTS', ['loopback', 'service-name'] as const, { default: 'loopback' });
  const defaultHost = (name: ServiceName): string => (hosts === 'service-name' ? name : '127.0.0.1');
  // Literal names: tools/deploy checks that `calls` in the declaration lists exactly the peers read here.
  const peer = (variable: string, name: ServiceName): string => env.string(variable, { default: `${defaultHost(name)}:${SERVICES[name].grpcPort}`, pattern: ADDR });
  const peers = {
    priceStream: peer('PRICE_STREAM_GRPC_ADDR', 'price-stream'),
    risk: peer('RISK_GRPC_ADDR', 'risk'),
    execution: peer('EXECUTION_GRPC_ADDR', 'execution'),
    portfolio: peer('PORTFOLIO_GRPC_ADDR', 'portfolio'),
  };
  // Each service's HTTP URL for the Fleet view: <NAME>_HTTP_URL, else the host of its gRPC address
  // (when the console calls it) or the default host, and its declared (or <NAME>_PORT) port.
  const grpcAddrOf: Partial<Record<ServiceName, string>> = { 'price-stream': peers.priceStream, risk: peers.risk, execution: peers.execution, portfolio: peers.portfolio };
  const probeTargets = (Object.keys(SERVICES) as ServiceName[])
    .filter((s) => s !== 'console')
    .map((service) => {
      const grpcAddr = grpcAddrOf[service];
      const host = grpcAddr && ADDR.test(grpcAddr) ? hostOf(grpcAddr) : defaultHost(service);
      const port = source[`${envPrefix(service)}_PORT`]?.trim() || String(SERVICES[service].httpPort);
      return { service, url: env.url(`${envPrefix(service)}_HTTP_URL`, { default: `http://${host}:${port}`, protocols: ['http:', 'https:'] }).replace(/\/+$/, '') };
    });
  const origins = env.list('CONSOLE_ALLOWED_ORIGINS', (item) => {
    const u = new URL(item);
    if (u.origin === 'null' || u.origin !== item.replace(/\/$/, '')) throw new Error('must be an origin such as https://console.example.com');
    return u.origin;
  }, { default: [] });
  const cfg: ConsoleConfig = {
    ...base,
    operators,
    sessionSecret: secret ?? '',
    sessionTtlSeconds: env.int('CONSOLE_SESSION_TTL_S', { default: 900, min: 30, max: 43_200 }),
    cookieSecure: env.bool('CONSOLE_COOKIE_SECURE', { default: true }),
    allowedOrigins: origins,
    probeTargets,
    probeTimeoutMs: env.int('CONSOLE_PROBE_TIMEOUT_MS', { default: 1_500, min: 50, max: 30_000 }),
    peers,
    peerDeadlineMs: env.int('CONSOLE_PEER_DEADLINE_MS', { default: 3_000, min: 50, max: 60_000 }),
    maxLiveClients: env.int('CONSOLE_MAX_LIVE_CLIENTS', { default: 200, min: 1, max: 10_000 }),
  };
  env.done();
  return cfg;
}
