import { CHANNELS } from '@cte/shared';

/** Channel names price-stream publishes on (DESIGN.md, "The flow"); declared once in @cte/shared. */
export { barChannel, bookChannel, tickChannel } from '@cte/shared';
export const ALERTS_CHANNEL = CHANNELS.alerts;
