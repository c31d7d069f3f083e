import { findSharedDataDir, sharedData } from '@cte/shared';

/** The real-market-data folder, located once by the kit's test support (see shared/src/testing/shared-data.ts). */
export const SHARED_DATA_DIR = findSharedDataDir();
export { sharedData };

export const XGB_BOOSTERS_DIR = sharedData('xgboost', 'boosters');
