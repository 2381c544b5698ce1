import { collectRecordedCalls, writeRecordedCalls } from './aws-mock';

afterEach(() => collectRecordedCalls());
afterAll(() => writeRecordedCalls(expect.getState().testPath ?? 'unknown.spec.ts'));
