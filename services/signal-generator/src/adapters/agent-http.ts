/**
 * REST routes of the agent registry and the task engine. Each factory returns
 * an express Router for the kit's protected router (API key, JSON body limit,
 * JSON errors mapped from domain errors):
 *
 *   http.router.use(agentRoutes(agents));
 *   http.router.use(taskRoutes(tasks));
 */
import { Router } from 'express';
import type { AgentService } from '../agents/agent-service';
import type { TaskEngine } from '../tasks/task-engine';

/**
 * POST /agents (201), GET /agents?type=&status=&symbol=&limit=&offset= ({agents, total}),
 * GET|PATCH|DELETE /agents/:id, POST /agents/:id/start|stop, GET /agents/:id/logs?level=&limit=&offset=.
 */
export function agentRoutes(agents: AgentService): Router {
  const r = Router();
  r.post('/agents', async (req, res) => {
    const agent = await agents.create(req.body);
    res.status(201).location(`/agents/${agent.id}`).json(agent);
  });
  r.get('/agents', async (req, res) => {
    const q = req.query;
    res.json(await agents.list({ type: q.type, status: q.status, symbol: q.symbol, limit: q.limit, offset: q.offset }));
  });
  r.get('/agents/:id', async (req, res) => {
    res.json(await agents.get(req.params.id));
  });
  r.patch('/agents/:id', async (req, res) => {
    res.json(await agents.update(req.params.id, req.body));
  });
  r.delete('/agents/:id', async (req, res) => {
    res.json(await agents.delete(req.params.id));
  });
  r.post('/agents/:id/start', async (req, res) => {
    res.json(await agents.start(req.params.id));
  });
  r.post('/agents/:id/stop', async (req, res) => {
    res.json(await agents.stop(req.params.id));
  });
  r.get('/agents/:id/logs', async (req, res) => {
    const q = req.query;
    res.json(await agents.logs(req.params.id, { level: q.level, limit: q.limit, offset: q.offset }));
  });
  return r;
}

/**
 * POST /agents/:id/execute {parameters?, priority?, timeout_ms?, max_attempts?} → 202 {taskId},
 * GET /tasks/:id, POST /tasks/:id/cancel and DELETE /tasks/:id → the task.
 */
export function taskRoutes(tasks: TaskEngine): Router {
  const r = Router();
  r.post('/agents/:id/execute', async (req, res) => {
    const { taskId } = await tasks.submit(req.params.id, req.body);
    res.status(202).location(`/tasks/${taskId}`).json({ taskId });
  });
  r.get('/tasks/:id', async (req, res) => {
    res.json(await tasks.get(req.params.id));
  });
  r.post('/tasks/:id/cancel', async (req, res) => {
    res.json(await tasks.cancel(req.params.id));
  });
  r.delete('/tasks/:id', async (req, res) => {
    res.json(await tasks.cancel(req.params.id));
  });
  return r;
}
