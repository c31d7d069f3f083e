/**
 * From the bus contract (`FillMessage`, validated by the kit's `parseFillMessage`) to the ledger's
 * `LedgerFill`, with the ledger's own limits: quantities, prices and fees must fit DECIMAL(36,18)
 * (at most 18 decimals, below 10^18). execution stores fills in DECIMAL(36,18) columns, so every
 * real fill passes; anything else is refused with InvalidArgumentError naming the field.
 */
import { InvalidArgumentError, parseFillMessage, type FillMessage } from '@cte/shared/core';
import { Exact, fitsColumn, type Decimal } from './money';
import { splitSymbol, type LedgerFill } from './ledger';

function amount(msg: FillMessage, field: 'qty' | 'price' | 'fee'): Decimal {
  const d = new Exact(msg[field]);
  if (!fitsColumn(d)) throw new InvalidArgumentError(`fill.${field} must have at most 18 decimals and be below 10^18, got ${msg[field]}`);
  return d;
}

export function toLedgerFill(msg: FillMessage): LedgerFill {
  const [base, quote] = splitSymbol(msg.symbol);
  return {
    fillId: msg.fill_id,
    symbol: msg.symbol,
    base,
    quote,
    side: msg.side,
    qty: amount(msg, 'qty'),
    price: amount(msg, 'price'),
    fee: amount(msg, 'fee'),
    feeCurrency: msg.fee_currency,
    ts: msg.ts,
  };
}

/** Validates an untrusted fill (from `events.fills`) all the way to a LedgerFill. */
export function parseLedgerFill(raw: unknown): { message: FillMessage; fill: LedgerFill } {
  const message = parseFillMessage(raw);
  return { message, fill: toLedgerFill(message) };
}
