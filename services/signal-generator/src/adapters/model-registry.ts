/**
 * The model registry: one XGBoost model per symbol and timeframe, read from
 * `MODEL_DIR/<BASE>-<QUOTE>_<tf>/{model.json,meta.json}` (e.g. `BTC-USD_1h`).
 *
 * - A model is served only if it loads, its metadata is valid and matches its
 *   directory, and every feature it uses is computed by the feature pipeline
 *   (any subset, in the model's own order). Otherwise it is reported, not loaded.
 * - Hot reload: `fs.watch` on the directory and on each model directory, debounced,
 *   plus `reload()` (POST /models/reload). A new version replaces the old one only
 *   once it has loaded completely; a broken or rejected file keeps the old version
 *   serving and records the error.
 * - Unchanged files (same bytes) are not parsed again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger, Symbol, Timeframe } from '@cte/shared';
import { createLoadedModel, modelKey, parseModelKey, parseModelMeta, type LoadedModel, type ModelMetrics } from '../engine/models';

export const MODEL_FILE = 'model.json';
export const META_FILE = 'meta.json';

export interface ModelRegistryOptions {
  /** MODEL_DIR. */
  dir: string;
  /** The feature pipeline's names in vector order (FEATURE_NAMES). */
  pipelineFeatures: readonly string[];
  logger?: Logger;
  /** Watch the directory for changes. Default true. */
  watch?: boolean;
  /** Quiet time after the last file event before reloading. Default 300 ms. */
  debounceMs?: number;
  /** Errors kept per model. Default 10. */
  maxErrors?: number;
  now?: () => number;
}

export interface ModelError {
  /** ISO-8601. */
  at: string;
  message: string;
}

/** One model directory as GET /models shows it. */
export interface ModelStatus {
  key: string;
  symbol: string | null;
  timeframe: string | null;
  /** True when a version is serving. */
  loaded: boolean;
  version: string | null;
  objective: string | null;
  /** Features the serving model uses. */
  features: number | null;
  metrics: ModelMetrics | null;
  training_window: { from: number; to: number } | null;
  label: { horizon_bars: number; threshold: number } | null;
  created_at: string | null;
  /** ISO-8601, when the serving version was loaded. */
  loaded_at: string | null;
  /** Problems since the serving version was loaded (newest last): broken files, rejected models. */
  errors: ModelError[];
}

export interface ModelsSnapshot {
  dir: string;
  /** Set when MODEL_DIR itself cannot be read. */
  dir_error: string | null;
  last_reload_at: string | null;
  models: ModelStatus[];
}

export interface ReloadReport {
  at: string;
  /** Keys whose new (or first) version is now serving. */
  loaded: string[];
  unchanged: string[];
  /** Keys that failed; `serving` is the version still serving, if any. */
  failed: { key: string; error: string; serving: string | null }[];
  /** Keys whose directory is gone (their models are no longer served). */
  removed: string[];
}

interface Entry {
  key: string;
  current: LoadedModel | undefined;
  /** Fingerprint of the files the current version came from. */
  fingerprint: string | undefined;
  /** Fingerprint of the last files that failed, so a retry of the same bytes is not recorded twice. */
  failedFingerprint: string | undefined;
  errors: ModelError[];
}

type Outcome = { kind: 'loaded' } | { kind: 'unchanged' } | { kind: 'failed'; error: string };

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class ModelRegistry {
  private readonly dir: string;
  private readonly pipelineFeatures: readonly string[];
  private readonly log: Logger | undefined;
  private readonly watchEnabled: boolean;
  private readonly debounceMs: number;
  private readonly maxErrors: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private dirError: string | null = null;
  private lastReloadAt: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private rootWatcher: fs.FSWatcher | undefined;
  /** Per model directory: its watcher and the directory's inode (a replaced directory needs a new watcher). */
  private readonly subWatchers = new Map<string, { watcher: fs.FSWatcher; ino: number }>();
  private timer: NodeJS.Timeout | undefined;
  private watching = false;
  private closed = false;

  constructor(opts: ModelRegistryOptions) {
    this.dir = path.resolve(opts.dir);
    this.pipelineFeatures = Object.freeze([...opts.pipelineFeatures]);
    this.log = opts.logger;
    this.watchEnabled = opts.watch ?? true;
    this.debounceMs = opts.debounceMs ?? 300;
    this.maxErrors = opts.maxErrors ?? 10;
    this.now = opts.now ?? Date.now;
  }

  /** Loads every model, then starts watching (when enabled). */
  async start(): Promise<ReloadReport> {
    const report = await this.reload();
    if (this.watchEnabled && !this.closed) {
      this.watching = true;
      this.syncWatchers();
    }
    return report;
  }

  /** Stops watching. Loaded models stay available. */
  close(): void {
    this.closed = true;
    this.watching = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.rootWatcher?.close();
    this.rootWatcher = undefined;
    for (const w of this.subWatchers.values()) w.watcher.close();
    this.subWatchers.clear();
  }

  /** The serving model for a symbol and timeframe. */
  get(symbol: Symbol, timeframe: Timeframe): LoadedModel | undefined {
    return this.entries.get(modelKey(symbol, timeframe))?.current;
  }

  /** The serving model by key (`BTC-USD_1h`). */
  getByKey(key: string): LoadedModel | undefined {
    return this.entries.get(key)?.current;
  }

  /** Every serving model. */
  loaded(): LoadedModel[] {
    return [...this.entries.values()].flatMap((e) => (e.current ? [e.current] : []));
  }

  status(key: string): ModelStatus | undefined {
    const e = this.entries.get(key);
    return e === undefined ? undefined : this.statusOf(e);
  }

  /** What GET /models returns. */
  snapshot(): ModelsSnapshot {
    return {
      dir: this.dir,
      dir_error: this.dirError,
      last_reload_at: this.lastReloadAt === undefined ? null : new Date(this.lastReloadAt).toISOString(),
      models: [...this.entries.keys()].sort().map((k) => this.statusOf(this.entries.get(k)!)),
    };
  }

  /** Re-reads MODEL_DIR now. Reloads run one at a time, in call order. */
  reload(): Promise<ReloadReport> {
    const run = this.queue.then(() => this.reloadNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private statusOf(e: Entry): ModelStatus {
    const m = e.current;
    const parsed = parseModelKey(e.key);
    return {
      key: e.key,
      symbol: m?.meta.symbol ?? parsed?.symbol ?? null,
      timeframe: m?.meta.timeframe ?? parsed?.timeframe ?? null,
      loaded: m !== undefined,
      version: m?.version ?? null,
      objective: m?.meta.objective ?? null,
      features: m?.meta.featureNames.length ?? null,
      metrics: m?.meta.metrics ?? null,
      training_window: m ? { ...m.meta.trainingWindow } : null,
      label: m ? { horizon_bars: m.meta.label.horizonBars, threshold: m.meta.label.threshold } : null,
      created_at: m?.meta.createdAt ?? null,
      loaded_at: m ? new Date(m.loadedAt).toISOString() : null,
      errors: e.errors.map((x) => ({ ...x })),
    };
  }

  private async reloadNow(): Promise<ReloadReport> {
    const at = this.now();
    const report: ReloadReport = { at: new Date(at).toISOString(), loaded: [], unchanged: [], failed: [], removed: [] };
    let names: string[];
    try {
      const dirents = await fs.promises.readdir(this.dir, { withFileTypes: true });
      names = dirents.filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
      this.dirError = null;
    } catch (e) {
      // MODEL_DIR unreadable: keep serving what is loaded, say why nothing changes.
      this.dirError = `cannot read ${this.dir}: ${messageOf(e)}`;
      this.log?.warn({ dir: this.dir, err: messageOf(e) }, 'model directory unreadable');
      this.lastReloadAt = at;
      return report;
    }
    const present = new Set<string>();
    for (const name of names.sort()) {
      const sub = path.join(this.dir, name);
      if (parseModelKey(name) === undefined) {
        // Only directories that look like models are worth reporting.
        if (!fs.existsSync(path.join(sub, MODEL_FILE)) && !fs.existsSync(path.join(sub, META_FILE))) continue;
      }
      present.add(name);
      let entry = this.entries.get(name);
      if (entry === undefined) {
        entry = { key: name, current: undefined, fingerprint: undefined, failedFingerprint: undefined, errors: [] };
        this.entries.set(name, entry);
      }
      const outcome = await this.loadEntry(entry, sub, at);
      if (outcome.kind === 'loaded') report.loaded.push(name);
      else if (outcome.kind === 'unchanged') report.unchanged.push(name);
      else report.failed.push({ key: name, error: outcome.error, serving: entry.current?.version ?? null });
    }
    for (const key of [...this.entries.keys()]) {
      if (!present.has(key)) {
        this.entries.delete(key);
        report.removed.push(key);
        this.log?.info({ model: key }, 'model directory removed; model unloaded');
      }
    }
    this.lastReloadAt = at;
    if (this.watching) this.syncWatchers();
    return report;
  }

  private async loadEntry(entry: Entry, sub: string, at: number): Promise<Outcome> {
    let metaBytes: Buffer;
    let modelBytes: Buffer;
    try {
      [metaBytes, modelBytes] = await Promise.all([
        fs.promises.readFile(path.join(sub, META_FILE)),
        fs.promises.readFile(path.join(sub, MODEL_FILE)),
      ]);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const which = (e as NodeJS.ErrnoException).path ?? '';
      const msg = code === 'ENOENT' ? `${path.basename(which)} is missing` : `cannot read ${path.basename(which)}: ${messageOf(e)}`;
      return this.fail(entry, `missing:${msg}`, msg, at);
    }
    const fingerprint = createHash('sha256').update(metaBytes).update('\0').update(modelBytes).digest('hex');
    if (fingerprint === entry.fingerprint) return { kind: 'unchanged' };
    try {
      const metaJson = parseJson(metaBytes, META_FILE);
      const modelJson = parseJson(modelBytes, MODEL_FILE);
      const meta = parseModelMeta(metaJson);
      const model = createLoadedModel({ key: entry.key, meta, modelJson, pipelineFeatures: this.pipelineFeatures, loadedAt: at });
      const previous = entry.current?.version;
      entry.current = model;
      entry.fingerprint = fingerprint;
      entry.failedFingerprint = undefined;
      entry.errors = [];
      this.log?.info(
        { model: entry.key, version: model.version, previous: previous ?? null, features: meta.featureNames.length },
        previous === undefined ? 'model loaded' : 'model reloaded',
      );
      return { kind: 'loaded' };
    } catch (e) {
      return this.fail(entry, fingerprint, messageOf(e), at);
    }
  }

  private fail(entry: Entry, fingerprint: string, message: string, at: number): Outcome {
    if (entry.failedFingerprint !== fingerprint) {
      entry.failedFingerprint = fingerprint;
      entry.errors.push({ at: new Date(at).toISOString(), message });
      if (entry.errors.length > this.maxErrors) entry.errors.splice(0, entry.errors.length - this.maxErrors);
      this.log?.warn(
        { model: entry.key, err: message, serving: entry.current?.version ?? null },
        entry.current ? 'model update rejected; previous version keeps serving' : 'model rejected',
      );
    }
    return { kind: 'failed', error: message };
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reload().catch((e: unknown) => this.log?.error({ err: messageOf(e) }, 'model reload failed'));
    }, this.debounceMs);
    this.timer.unref();
  }

  private watch(target: string, onError: () => void): fs.FSWatcher | undefined {
    try {
      const w = fs.watch(target, { persistent: false }, () => this.schedule());
      w.on('error', () => {
        w.close();
        onError();
        this.schedule();
      });
      return w;
    } catch (e) {
      this.log?.warn({ path: target, err: messageOf(e) }, 'cannot watch model path');
      return undefined;
    }
  }

  /** Watches MODEL_DIR (models added/removed) and each model directory (files replaced or edited). */
  private syncWatchers(): void {
    if (this.closed) return;
    if (this.rootWatcher === undefined) {
      this.rootWatcher = this.watch(this.dir, () => {
        this.rootWatcher = undefined;
      });
    }
    const inodes = new Map<string, number>();
    for (const key of this.entries.keys()) {
      try {
        inodes.set(key, fs.statSync(path.join(this.dir, key)).ino);
      } catch {
        // gone since the reload; the root watcher reports it
      }
    }
    for (const [key, w] of this.subWatchers) {
      if (inodes.get(key) !== w.ino) {
        w.watcher.close();
        this.subWatchers.delete(key);
      }
    }
    for (const [key, ino] of inodes) {
      if (this.subWatchers.has(key)) continue;
      const watcher = this.watch(path.join(this.dir, key), () => this.subWatchers.delete(key));
      if (watcher !== undefined) this.subWatchers.set(key, { watcher, ino });
    }
  }
}

function parseJson(bytes: Buffer, file: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${messageOf(e)}`);
  }
}
