/** Operator roles and what each may do. Each role includes everything the one before it may do. */
export const ROLES = ['viewer', 'trader', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** State-changing actions through the console; reads need only a session. */
export type Action = 'orders.cancel' | 'agents.control' | 'risk.limits' | 'trading.state';

const REQUIRED: Readonly<Record<Action, Role>> = {
  'orders.cancel': 'trader',
  'agents.control': 'trader',
  'risk.limits': 'admin',
  'trading.state': 'admin',
};

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

export function may(role: Role, action: Action): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(REQUIRED[action]);
}

/** The actions `role` may take, for the browser to show or hide controls (the server still checks). */
export function allowedActions(role: Role): Action[] {
  return (Object.keys(REQUIRED) as Action[]).filter((a) => may(role, a));
}
