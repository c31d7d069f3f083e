import { findSharedDataDir, sharedData } from '@cte/testkit';

/** The real-market-data folder, located once by the test kit (see tools/testkit/src/shared-data.ts). */
export const SHARED_DATA_DIR = findSharedDataDir();
export { sharedData };

export const XGB_BOOSTERS_DIR = sharedData('xgboost', 'boosters');
