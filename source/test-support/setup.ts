// SPDX-License-Identifier: Apache-2.0
import { collectRecordedCalls, writeRecordedCalls } from './aws-mock';
import { removeTempDirectories } from './temp-dirs';

afterEach(() => collectRecordedCalls());
afterAll(() => writeRecordedCalls(expect.getState().testPath ?? 'unknown.spec.ts'));
afterAll(() => removeTempDirectories());
