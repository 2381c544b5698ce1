// SPDX-License-Identifier: Apache-2.0
/** The environment of the two import functions that read the whole backup table (scan and reconcile). */
import { cognitoTps, env, type EnvSpec } from '../../utils/config';

export const BACKUP_READER_ENV = {
  COGNITO_TPS: cognitoTps(),
  BACKUP_TABLE_NAME: env.string(),
  TYPE_USER: env.string(),
  TYPE_GROUP: env.string(),
  TYPE_TIMESTAMP: env.string(),
  USER_IMPORT_JOB_MAPPING_FILES_BUCKET: env.string(),
  NEW_USERS_QUEUE_URL: env.string(),
  NEW_USERS_UPDATES_QUEUE_URL: env.string(),
} satisfies EnvSpec;
