// SPDX-License-Identifier: Apache-2.0
import { ConfigError, cognitoTps, env, parseConfig } from '../config';

const spec = {
  TABLE_NAME: env.string(),
  COGNITO_TPS: cognitoTps(),
  SNS_PREFERENCE: env.oneOf('INFO_AND_ERRORS', 'ERRORS_ONLY'),
  OPTIONAL_NAME: env.optionalString(),
  SEND_METRIC: env.yesNo(),
};

describe('parseConfig', () => {
  it('returns typed values keyed by variable name', () => {
    const config = parseConfig(spec, {
      TABLE_NAME: ' backup ',
      COGNITO_TPS: '10',
      SNS_PREFERENCE: 'ERRORS_ONLY',
      SEND_METRIC: 'Yes',
    });
    expect(config).toEqual({
      TABLE_NAME: 'backup',
      COGNITO_TPS: 10,
      SNS_PREFERENCE: 'ERRORS_ONLY',
      OPTIONAL_NAME: undefined,
      SEND_METRIC: true,
    });
  });

  it('names every missing or invalid variable in one error', () => {
    let error: unknown;
    try {
      parseConfig(spec, { COGNITO_TPS: 'ten', SNS_PREFERENCE: 'ALWAYS', TABLE_NAME: '   ' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'Error validating Environment Variables. Missing value for TABLE_NAME',
      'Unable to parse a number from the COGNITO_TPS value (ten)',
      'SNS_PREFERENCE must be one of INFO_AND_ERRORS, ERRORS_ONLY (found "ALWAYS")',
    ]);
    expect((error as ConfigError).message).toBe(
      '3 configuration problems: Error validating Environment Variables. Missing value for TABLE_NAME; ' +
        'Unable to parse a number from the COGNITO_TPS value (ten); ' +
        'SNS_PREFERENCE must be one of INFO_AND_ERRORS, ERRORS_ONLY (found "ALWAYS")',
    );
  });

  it("keeps the original's exact message when only COGNITO_TPS is wrong", () => {
    expect(() => parseConfig({ COGNITO_TPS: cognitoTps() }, { COGNITO_TPS: 'invalid' })).toThrow(
      new Error('Unable to parse a number from the COGNITO_TPS value (invalid)'),
    );
  });

  it.each(['0', '-1', '1.5', '10abc'])(
    'rejects COGNITO_TPS %s, which would never finish or is not a whole number',
    (raw) => {
      expect(() => parseConfig({ COGNITO_TPS: cognitoTps() }, { COGNITO_TPS: raw })).toThrow(ConfigError);
    },
  );

  it('treats SEND_METRIC other than Yes as off', () => {
    expect(parseConfig({ SEND_METRIC: env.yesNo() }, { SEND_METRIC: 'No' }).SEND_METRIC).toBe(false);
    expect(parseConfig({ SEND_METRIC: env.yesNo() }, {}).SEND_METRIC).toBe(false);
  });

  it('reads process.env by default', () => {
    process.env.CONFIG_SPEC_PROBE = 'from-env';
    try {
      expect(parseConfig({ CONFIG_SPEC_PROBE: env.string() }).CONFIG_SPEC_PROBE).toBe('from-env');
    } finally {
      delete process.env.CONFIG_SPEC_PROBE;
    }
  });
});
