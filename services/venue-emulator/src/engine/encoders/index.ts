import type { VenueId } from '../types';
import { codec as binanceus } from './binanceus';
import type { VenueCodec } from './codec';
import { codec as coinbase } from './coinbase';
import { codec as kucoin } from './kucoin';

export const CODECS: Readonly<Record<VenueId, VenueCodec>> = { binanceus, coinbase, kucoin };
export * from './codec';
